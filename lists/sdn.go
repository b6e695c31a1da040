package lists

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/oversight-dev/oversight"
	"golang.org/x/text/encoding/charmap"
)

// The OFAC legacy CSV layout: no header, "-0-" for an empty field.
const (
	sdnFields      = 12 // ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks
	altFields      = 5  // ent_num, alt_num, alt_type, alt_name, alt_remarks
	commentsFields = 2  // ent_num, remarks continued
	addFields      = 6  // ent_num, add_num, address, city, country, add_remarks
)

// SDNFiles are the files of an OFAC list in the legacy CSV format: the
// primary records, and optionally their aliases, addresses and the
// continuation of remarks too long for the primary file. List is the
// prefix of each entry's Source: "ofac-sdn" for the SDN list, "ofac-cons"
// for the consolidated (non-SDN) list; "ofac-sdn" when empty.
type SDNFiles struct {
	List                    string
	SDN, Alt, Add, Comments io.Reader
}

// ReadSDN reads an OFAC list in the legacy CSV format. Each individual and
// entity becomes a designation with Source "<list>:<ent_num>", its type,
// its programmes, its name (an individual's in natural order: "NORIEGA,
// Manuel Antonio" becomes "Manuel Antonio NORIEGA"), its aliases, the
// countries of its addresses, and for an individual the first birth date
// and nationality its remarks give. Vessels and aircraft are skipped, and
// entities with Options.PersonsOnly; all are counted in Result.Skipped.
func ReadSDN(in SDNFiles, opts Options) (*Result, error) {
	c := new(counts)
	files := sdnFiles{prefix: cmp.Or(in.List, "ofac-sdn"), sdn: newSource(in.SDN, "sdn.csv", -1, &opts, c)}
	if in.Alt != nil {
		files.alt = newSource(in.Alt, "alt.csv", -1, &opts, c)
	}
	if in.Add != nil {
		files.add = newSource(in.Add, "add.csv", -1, &opts, c)
	}
	if in.Comments != nil {
		files.comments = newSource(in.Comments, "sdn_comments.csv", -1, &opts, c)
	}
	return readSDN(files, opts)
}

type sdnFiles struct {
	prefix                  string // of Source ids
	sdn, alt, add, comments *source
}

// loadSDN opens path and the alias, address and comment files beside it:
// alt.csv, add.csv and sdn_comments.csv for sdn.csv; for the consolidated
// list's cons_prim.csv, cons_alt.csv, cons_add.csv and cons_comments.csv.
func loadSDN(path string, opts Options) (*Result, error) {
	c := new(counts)
	dir, base := filepath.Split(path)
	lower := strings.ToLower(base)
	prefix, altName, addName, comName := "ofac-sdn", "alt.csv", "add.csv", "sdn_comments.csv"
	if stem, ok := strings.CutSuffix(lower, "_prim.csv"); ok {
		prefix, altName, addName, comName = "ofac-"+stem, stem+"_alt.csv", stem+"_add.csv", stem+"_comments.csv"
	}
	f, size, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	files := sdnFiles{prefix: prefix, sdn: newSource(f, base, size, &opts, c)}
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open list: %w", err)
	}
	for _, e := range entries {
		var dst **source
		switch strings.ToLower(e.Name()) {
		case altName:
			dst = &files.alt
		case addName:
			dst = &files.add
		case comName:
			dst = &files.comments
		default:
			continue
		}
		g, size, err := open(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		defer g.Close()
		*dst = newSource(g, e.Name(), size, &opts, c)
	}
	return readSDN(files, opts)
}

func readSDN(files sdnFiles, opts Options) (*Result, error) {
	n := 0
	all := []*source{files.sdn, files.alt, files.add, files.comments}
	for _, s := range all {
		if s != nil {
			n++
			s.num = n
		}
	}
	for _, s := range all {
		if s != nil {
			s.of = n
		}
	}
	basis, err := opts.basis()
	if err != nil {
		return nil, err
	}
	res := &Result{Skipped: map[string]int{}}
	type rec struct {
		d          oversight.Designation
		line       int
		individual bool
	}
	var recs []*rec
	byNum := map[int]*rec{}
	skipped := map[int]bool{}
	c := files.sdn.counts

	err = readCSV(files.sdn, sdnFields, func(f []string, line int) error {
		num, err := entNum(f[0])
		if err != nil {
			return parseErrorf(files.sdn.name, line, "ent_num: %v", err)
		}
		if byNum[num] != nil || skipped[num] {
			return parseErrorf(files.sdn.name, line, "ent_num %d repeats an earlier record", num)
		}
		name := field(f[1])
		if name == "" {
			return parseErrorf(files.sdn.name, line, "SDN_Name: required")
		}
		typ := strings.ToLower(field(f[2]))
		switch typ {
		case "individual":
		case "vessel", "aircraft":
			skipped[num] = true
			res.Skipped[typ]++
			c.skipped++
			return nil
		case "":
			if opts.PersonsOnly {
				skipped[num] = true
				res.Skipped["entity"]++
				c.skipped++
				return nil
			}
		default:
			return parseErrorf(files.sdn.name, line, "SDN_Type: unknown type %q", typ)
		}
		r := &rec{line: line, individual: typ == "individual"}
		r.d = oversight.Designation{
			Type:     oversight.PartyEntity,
			Identity: oversight.Identity{Name: name},
			Basis:    basis,
			Source:   files.prefix + ":" + strconv.Itoa(num),
			Program:  strings.ReplaceAll(field(f[3]), "] [", ", "),
			Remarks:  field(f[11]),
		}
		if r.individual {
			r.d.Type, r.d.Name = oversight.PartyIndividual, naturalOrder(name)
		}
		recs = append(recs, r)
		byNum[num] = r
		c.records++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if files.alt != nil {
		err := readCSV(files.alt, altFields, func(f []string, line int) error {
			num, err := entNum(f[0])
			if err != nil {
				return parseErrorf(files.alt.name, line, "ent_num: %v", err)
			}
			name := field(f[3])
			if name == "" {
				return parseErrorf(files.alt.name, line, "alt_name: required")
			}
			r := byNum[num]
			if r == nil {
				// Aliases of skipped records, or of records a
				// partial list does not hold.
				return nil
			}
			if r.individual {
				name = naturalOrder(name)
			}
			if name != r.d.Name && !contains(r.d.Aliases, name) {
				r.d.Aliases = append(r.d.Aliases, name)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if files.add != nil {
		err := readCSV(files.add, addFields, func(f []string, line int) error {
			num, err := entNum(f[0])
			if err != nil {
				return parseErrorf(files.add.name, line, "ent_num: %v", err)
			}
			if r := byNum[num]; r != nil {
				if code := CountryCode(field(f[4])); code != "" && !contains(r.d.Countries, code) {
					r.d.Countries = append(r.d.Countries, code)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if files.comments != nil {
		err := readCSV(files.comments, commentsFields, func(f []string, line int) error {
			num, err := entNum(f[0])
			if err != nil {
				return parseErrorf(files.comments.name, line, "ent_num: %v", err)
			}
			if r := byNum[num]; r != nil {
				r.d.Remarks += field(f[1])
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	res.Designations = make([]oversight.Designation, 0, len(recs))
	for _, r := range recs {
		if r.individual {
			r.d.BirthDate = birthDate(r.d.Remarks)
			r.d.Nationality = nationality(r.d.Remarks)
		}
		if err := r.d.Validate(); err != nil {
			return nil, &ParseError{File: files.sdn.name, Line: r.line, Err: err}
		}
		res.Designations = append(res.Designations, r.d)
	}
	return res, nil
}

// readCSV reads every record of src, checking the number of fields, and
// calls f with each and its line number.
func readCSV(src *source, fields int, f func(fields []string, line int) error) error {
	cr := csv.NewReader(dropSUB{src})
	cr.FieldsPerRecord = fields
	cr.ReuseRecord = true
	line := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return parseErrorf(src.name, pe.StartLine, "%v", pe.Err)
			}
			return fmt.Errorf("read %s: %w", src.name, err)
		}
		line, _ = cr.FieldPos(0)
		for i, v := range rec {
			if !utf8.ValidString(v) {
				// Older OFAC files are Windows-1252.
				rec[i], _ = charmap.Windows1252.NewDecoder().String(v)
			}
		}
		if err := f(rec, line); err != nil {
			return err
		}
		src.line(line)
	}
	src.done(line)
	return nil
}

// dropSUB removes the DOS end-of-file character (0x1A) that ends OFAC's
// CSV files.
type dropSUB struct{ r io.Reader }

func (d dropSUB) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	k := 0
	for _, b := range p[:n] {
		if b != 0x1A {
			p[k] = b
			k++
		}
	}
	return k, err
}

// field returns an OFAC field value: trimmed, and empty for "-0-".
func field(s string) string {
	s = strings.TrimSpace(s)
	if s == "-0-" {
		return ""
	}
	return s
}

func entNum(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive whole number", s)
	}
	return n, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// naturalOrder turns OFAC's "LAST, First Middle" into "First Middle LAST",
// keeping a trailing suffix last ("DELOS REYES, Feliciano, Jr." becomes
// "Feliciano DELOS REYES Jr.").
func naturalOrder(name string) string {
	parts := strings.Split(name, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(parts) < 2 || parts[0] == "" {
		return name
	}
	rest := parts[1:]
	suffix := ""
	if n := len(rest); isSuffix(rest[n-1]) {
		if n == 1 {
			// "Abel HERNANDEZ, Jr.": in natural order already.
			return parts[0] + " " + rest[0]
		}
		suffix = rest[n-1]
		rest = rest[:n-1]
	}
	out := strings.Join(append(nonEmpty(rest), parts[0]), " ")
	if suffix != "" {
		out += " " + suffix
	}
	return out
}

func isSuffix(s string) bool {
	switch strings.ToLower(strings.TrimSuffix(s, ".")) {
	case "jr", "sr", "ii", "iii", "iv":
		return true
	}
	return false
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

var (
	dobRe         = regexp.MustCompile(`(?:^|;\s*)DOB ([^;]+)`)
	nationalityRe = regexp.MustCompile(`(?:^|;\s*)nationality ([^;]+)`)
	citizenRe     = regexp.MustCompile(`(?:^|;\s*)citizen ([^;]+)`)
)

// birthDate returns the first birth date the remarks give, as YYYY-MM-DD or
// YYYY ("DOB 10 Dec 1948", "DOB 1951", "DOB circa 1960", "DOB Jan 1960"). A
// range ("DOB 1946 to 1950") gives none: any year chosen from it would
// count against the applicant born in another year of it.
func birthDate(remarks string) string {
	m := dobRe.FindStringSubmatch(remarks)
	if m == nil {
		return ""
	}
	v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(m[1]), "."))
	v = strings.TrimPrefix(v, "circa ")
	if strings.Contains(v, " to ") {
		return ""
	}
	if t, err := time.Parse("02 Jan 2006", v); err == nil {
		return t.Format(time.DateOnly)
	}
	if t, err := time.Parse("Jan 2006", v); err == nil {
		return t.Format("2006")
	}
	if t, err := time.Parse("2006", v); err == nil {
		return t.Format("2006")
	}
	return ""
}

// nationality returns the ISO 3166-1 alpha-2 code of the first nationality
// the remarks give, or of the first citizenship when they give none.
func nationality(remarks string) string {
	for _, re := range []*regexp.Regexp{nationalityRe, citizenRe} {
		if m := re.FindStringSubmatch(remarks); m != nil {
			if code := CountryCode(strings.TrimSuffix(strings.TrimSpace(m[1]), ".")); code != "" {
				return code
			}
		}
	}
	return ""
}
