package service

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/store"
)

// protectedAdded is the payload of a protected.added event. The public log
// says that entries of a category were added, by whom and how many, never
// which: a hash on the log would tell a site, which holds the pepper,
// whether a person it thinks of targeting is protected.
type protectedAdded struct {
	Category oversight.ProtectedCategory `json:"category"`
	Added    int                         `json:"added"`
}

// AddProtected puts a target hash on the protected-persons register
// (POST /v1/protected). Adding is idempotent: a hash already there is left
// with its first category and added reports false.
func (az *Authorization) AddProtected(ctx context.Context, p *oversight.Principal, r *oversight.ProtectedRegistration) (pp *oversight.ProtectedPerson, added bool, err error) {
	s := az.s
	if err := allow(p, oversight.TaskProtectedAdd); err != nil {
		return nil, false, err
	}
	if err := r.Validate(); err != nil {
		return nil, false, err
	}
	now := s.clock()
	err = s.update(ctx, func(tx *store.Tx) error {
		pp = &oversight.ProtectedPerson{IDHash: r.IDHash, Category: r.Category, AddedBy: p.Actor(), AddedAt: now, LogIndex: tx.NextIndex()}
		var err error
		if added, err = tx.AddProtected(pp); err != nil {
			return err
		}
		if !added {
			pp, err = tx.Protected(r.IDHash)
			return err
		}
		_, err = tx.Record(oversight.EventProtectedAdded, p.Actor(), "protected", now, protectedAdded{Category: r.Category, Added: 1})
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("add protected person: %w", err)
	}
	return pp, added, nil
}

// maxImportErrors bounds the malformed lines an import names.
const maxImportErrors = 20

// ParseProtectedList reads a list of target hashes, one a line. Blank
// lines and lines starting with # are skipped; spaces around a hash and a
// final CR are ignored; upper-case hex is accepted. Any other line is
// malformed: the error is EINVALID and names each such line ("line 12"),
// up to 20 of them. The hashes come back in lower case, in file order,
// repeats included.
func ParseProtectedList(data []byte) ([]string, error) {
	var (
		hashes []string
		pr     oversight.Problems
		n      int
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		h, ok := oversight.NormalizeIDHash(line)
		if !ok {
			if pr.Len() < maxImportErrors {
				shown := line
				if len(shown) > 80 {
					shown = shown[:80] + "…"
				}
				pr.Add(fmt.Sprintf("line %d", n), "not a target hash (64 hex digits): %q", shown)
			}
			continue
		}
		hashes = append(hashes, h)
	}
	if err := sc.Err(); err != nil {
		return nil, oversight.Invalid("invalid list", fmt.Sprintf("line %d", n+1), "%v", err)
	}
	if err := pr.Err("invalid list: nothing was imported"); err != nil {
		return nil, err
	}
	return hashes, nil
}

// ImportProtected adds a list of target hashes, all of one category, to
// the register (POST /v1/protected:import), in one transaction: a list
// with a malformed line is refused whole (ParseProtectedList), and
// importing the same list again adds nothing. One protected.added event
// records the import's category and count.
func (az *Authorization) ImportProtected(ctx context.Context, p *oversight.Principal, category oversight.ProtectedCategory, data []byte) (*oversight.ProtectedImport, error) {
	s := az.s
	if err := allow(p, oversight.TaskProtectedImport); err != nil {
		return nil, err
	}
	if !category.Valid() {
		return nil, oversight.Invalid("invalid import", "category", "must be diplomat, journalist, human_rights_defender, allied_official or other")
	}
	hashes, err := ParseProtectedList(data)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	out := &oversight.ProtectedImport{Category: category, Received: len(hashes)}
	err = s.update(ctx, func(tx *store.Tx) error {
		out.Added, out.Present = 0, 0
		idx := tx.NextIndex()
		for _, h := range hashes {
			added, err := tx.AddProtected(&oversight.ProtectedPerson{IDHash: h, Category: category, AddedBy: p.Actor(), AddedAt: now, LogIndex: idx})
			if err != nil {
				return err
			}
			if added {
				out.Added++
			} else {
				out.Present++
			}
		}
		if out.Added == 0 {
			return nil
		}
		i, err := tx.Record(oversight.EventProtectedAdded, p.Actor(), "protected", now, protectedAdded{Category: category, Added: out.Added})
		out.LogIndex = &i
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("import protected persons: %w", err)
	}
	return out, nil
}
