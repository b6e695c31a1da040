package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/agent"
	"github.com/oversight-dev/oversight/service"
)

// ProtectedCmd groups the commands of the protected-persons register.
type ProtectedCmd struct {
	Add    ProtectedAddCmd    `cmd:"" help:"Put one target hash on the protected-persons register (defense, foreign_affairs)."`
	Import ProtectedImportCmd `cmd:"" help:"Put a file of target hashes, one a line, on the register; all or none."`
	Hash   ProtectedHashCmd   `cmd:"" help:"Print the target hash of raw identifiers with a site pepper, to build a register list."`
}

// categoryFlag is the register category of the add and import commands.
type categoryFlag struct {
	Category string `required:"" enum:"diplomat,journalist,human_rights_defender,allied_official,other" help:"Why the person is protected: diplomat, journalist, human_rights_defender, allied_official, other."`
}

// ProtectedAddCmd adds one hash.
type ProtectedAddCmd struct {
	clientFlags
	categoryFlag
	Hash string `arg:"" help:"The target hash: 64 hex digits, HMAC-SHA256 of the normalised identifier with the site pepper (oversight protected hash)."`
}

// Run adds the hash.
func (c *ProtectedAddCmd) Run(ctx context.Context, env *Env) error {
	pp, err := c.client().AddProtected(ctx, &oversight.ProtectedRegistration{IDHash: c.Hash, Category: oversight.ProtectedCategory(c.Category)})
	if err != nil {
		return err
	}
	return c.print(env, pp, one(pp.IDHash), func(w io.Writer) {
		row(w, "id hash", pp.IDHash)
		row(w, "category", pp.Category)
		row(w, "added by", pp.AddedBy)
		row(w, "added at", pp.AddedAt.Format("2006-01-02T15:04:05Z07:00"))
		row(w, "log index", pp.LogIndex)
	})
}

// importChunk bounds the hashes sent in one request, well under the
// server's body limit (1 MiB by default, 65 bytes a line).
const importChunk = 10000

// ProtectedImportCmd imports a file of hashes.
type ProtectedImportCmd struct {
	clientFlags
	categoryFlag
	File string `arg:"" help:"The list: one hex hash a line; blank lines and lines starting with # are skipped (- for standard input)."`
}

// Help is shown by --help.
func (c *ProtectedImportCmd) Help() string {
	return `The whole file is checked first: a malformed line is named with its number and
nothing is sent. A long list is sent in parts of 10,000 hashes; importing is
idempotent, so an interrupted import is finished by running it again.

Example:
  oversight protected hash --pepper site.pepper --kind phone < numbers.txt > press.txt
  oversight protected import press.txt --category journalist`
}

// Run imports the file.
func (c *ProtectedImportCmd) Run(ctx context.Context, env *Env) error {
	var (
		data []byte
		err  error
	)
	if c.File == "-" {
		data, err = io.ReadAll(env.Stdin)
	} else {
		data, err = os.ReadFile(c.File)
	}
	if err != nil {
		return &exitError{code: exitUsage, msg: err.Error()}
	}
	hashes, err := service.ParseProtectedList(data)
	if err != nil {
		return err
	}
	total := &oversight.ProtectedImport{Category: oversight.ProtectedCategory(c.Category)}
	cl := c.client()
	for start := 0; start < len(hashes); start += importChunk {
		part := hashes[start:min(start+importChunk, len(hashes))]
		res, err := cl.ImportProtected(ctx, total.Category, strings.NewReader(strings.Join(part, "\n")+"\n"))
		if err != nil {
			if start > 0 {
				return fmt.Errorf("after %d of %d hashes: %w (run the import again to finish it)", start, len(hashes), err)
			}
			return err
		}
		total.Received += res.Received
		total.Added += res.Added
		total.Present += res.Present
		if res.LogIndex != nil {
			total.LogIndex = res.LogIndex
		}
		if len(hashes) > importChunk {
			fmt.Fprintf(env.Stderr, "%d/%d hashes sent\n", min(start+importChunk, len(hashes)), len(hashes))
		}
	}
	return c.print(env, total, nil, func(w io.Writer) {
		row(w, "category", total.Category)
		row(w, "received", total.Received)
		row(w, "added", total.Added)
		row(w, "already present", total.Present)
		if total.LogIndex != nil {
			row(w, "log index", *total.LogIndex)
		}
	})
}

// ProtectedHashCmd hashes raw identifiers.
type ProtectedHashCmd struct {
	Pepper string   `required:"" type:"existingfile" help:"The site pepper file: the server's (keys directory, site-pepper) or a deployment's."`
	Kind   string   `required:"" enum:"phone,email,imsi,imei" help:"The kind of identifier: phone, email, imsi, imei."`
	ID     []string `arg:"" optional:"" help:"Raw identifiers; with none, one a line from standard input."`
}

// Help is shown by --help.
func (c *ProtectedHashCmd) Help() string {
	return `Prints one hash a line, normalising each identifier as the agent does
("+44 (0)20 7946-0958" and "0044 20 7946 0958" hash alike), so that the register
holds the hash a deployment will send for the same person.`
}

// Run prints the hashes.
func (c *ProtectedHashCmd) Run(env *Env) error {
	pepper, err := readPepper(c.Pepper)
	if err != nil {
		return &exitError{code: exitUsage, msg: fmt.Sprintf("--pepper %s: %v", c.Pepper, err)}
	}
	ids := c.ID
	if len(ids) == 0 {
		data, err := io.ReadAll(env.Stdin)
		if err != nil {
			return err
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			if s := strings.TrimSpace(string(l)); s != "" && !strings.HasPrefix(s, "#") {
				ids = append(ids, s)
			}
		}
	}
	for i, id := range ids {
		canonical, err := agent.NormalizeTarget(c.Kind, id)
		if err != nil {
			return &exitError{code: exitUsage, msg: fmt.Sprintf("identifier %d (%q): %v", i+1, id, err)}
		}
		fmt.Fprintln(env.Stdout, agent.HashTarget(pepper, canonical))
	}
	return nil
}
