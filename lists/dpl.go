package lists

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/oversight-dev/oversight"
	"golang.org/x/text/encoding/charmap"
)

// dplColumns are the columns of the BIS Denied Persons List the reader
// needs, by their header; the file has others (street address, postal
// code, standard order, action), which it leaves out.
var dplColumns = []string{"name", "city", "country", "effective_date", "expiration_date", "fr_citation"}

// ReadDPL reads the US Commerce Department's (BIS) Denied Persons List: a
// tab-separated file with a header line naming its columns (Name,
// Street_Address, City, State, Country, Postal_Code, Effective_Date,
// Expiration_Date, Standard_Order, Last_Update, Action, FR_Citation), one
// line per address of a denied person or company.
//
// The list does not say whether an entry is a person or a company, nor
// number its entries: an entry whose name reads as an organisation's
// (oversight.LooksLikeEntity) is an entity, any other an individual; the
// lines of one name are one designation, with Source "bis-dpl:" and the
// name's letters and digits, the countries of all its addresses, listed
// from the earliest effective date. A name in brackets is an alias
// ("APPLIED SYSTEMS METHODS AND TECHNOLOGY (ASMAT)"), and so is one after
// "D/B/A" or "A/K/A". A denial order whose
// expiration date is before Options.At is returned delisted at that date.
func ReadDPL(r io.Reader, opts Options) (*Result, error) {
	return readDPL(newSource(r, "dpl.txt", -1, &opts, nil), opts)
}

func readDPL(src *source, opts Options) (*Result, error) {
	basis, err := opts.basis()
	if err != nil {
		return nil, err
	}
	at := opts.At
	if at.IsZero() {
		at = time.Now()
	}
	cr := csv.NewReader(dropSUB{src})
	cr.Comma = '\t'
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, parseErrorf(src.name, 1, "empty file: want a header line naming the columns")
	}
	if err != nil {
		return nil, dplReadError(src, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	for _, c := range dplColumns {
		if _, ok := col[c]; !ok {
			return nil, parseErrorf(src.name, 1, "header has no column %q: is this the Denied Persons List?", c)
		}
	}
	cr.FieldsPerRecord = len(header)

	type rec struct {
		d       oversight.Designation
		line    int
		expires time.Time
		cites   []string
	}
	var recs []*rec
	byKey := map[string]*rec{}
	skipped := map[string]bool{}
	res := &Result{Skipped: map[string]int{}}
	line := 1
	for {
		f, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, dplReadError(src, err)
		}
		line, _ = cr.FieldPos(0)
		get := func(c string) string {
			v := f[col[c]]
			if !utf8.ValidString(v) {
				v, _ = charmap.Windows1252.NewDecoder().String(v)
			}
			return strings.TrimSpace(v)
		}
		raw := get("name")
		if raw == "" {
			return nil, parseErrorf(src.name, line, "Name: required")
		}
		name, aliases := dplName(raw)
		key := dplKey(name)
		if key == "" {
			return nil, parseErrorf(src.name, line, "Name %q has no letters or digits", raw)
		}
		effective, err := dplDate(get("effective_date"))
		if err != nil {
			return nil, parseErrorf(src.name, line, "Effective_Date: %v", err)
		}
		expires, err := dplDate(get("expiration_date"))
		if err != nil {
			return nil, parseErrorf(src.name, line, "Expiration_Date: %v", err)
		}
		if skipped[key] {
			src.line(line)
			continue
		}
		r := byKey[key]
		if r == nil {
			typ := oversight.PartyIndividual
			if oversight.LooksLikeEntity(name) {
				typ = oversight.PartyEntity
			} else {
				name = naturalOrder(name)
			}
			if typ == oversight.PartyEntity && opts.PersonsOnly {
				skipped[key] = true
				res.Skipped["entity"]++
				src.counts.skipped++
				src.line(line)
				continue
			}
			r = &rec{line: line, d: oversight.Designation{Type: typ, Identity: oversight.Identity{Name: name}, Basis: basis, Source: "bis-dpl:" + key}}
			byKey[key] = r
			recs = append(recs, r)
			src.counts.records++
		}
		for _, a := range aliases {
			if a != r.d.Name && !slices.Contains(r.d.Aliases, a) {
				r.d.Aliases = append(r.d.Aliases, a)
			}
		}
		if c := strings.ToUpper(get("country")); len(c) == 2 && isUpper(c) && !slices.Contains(r.d.Countries, c) {
			r.d.Countries = append(r.d.Countries, c)
		}
		if !effective.IsZero() && (r.d.ListedAt.IsZero() || effective.Before(r.d.ListedAt)) {
			r.d.ListedAt = effective
		}
		if expires.After(r.expires) {
			r.expires = expires
		}
		if c := get("fr_citation"); c != "" && !slices.Contains(r.cites, c) {
			r.cites = append(r.cites, c)
		}
		src.line(line)
	}
	src.done(line)
	res.Designations = make([]oversight.Designation, 0, len(recs))
	for _, r := range recs {
		var rem []string
		if !r.expires.IsZero() {
			rem = append(rem, "Denial order until "+r.expires.Format(time.DateOnly))
		}
		if len(r.cites) > 0 {
			rem = append(rem, "Federal Register: "+strings.Join(r.cites, "; "))
		}
		r.d.Remarks = truncate(strings.Join(rem, ". "), 10000)
		if !r.expires.IsZero() && r.expires.Before(at) {
			t := r.expires
			r.d.DelistedAt, r.d.DelistReason = &t, "denial order expired"
		}
		if err := r.d.Validate(); err != nil {
			return nil, &ParseError{File: src.name, Line: r.line, Err: err}
		}
		res.Designations = append(res.Designations, r.d)
	}
	return res, nil
}

func dplReadError(src *source, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return parseErrorf(src.name, pe.StartLine, "%v", pe.Err)
	}
	return fmt.Errorf("read %s: %w", src.name, err)
}

// dplName tidies a name of the list and takes out the aliases it holds in
// brackets: "APPLIED SYSTEMS METHODS AND TECHNOLOGY (ASMAT)" is that name
// with the alias ASMAT; "ANNEXFIELD , LTD." is "ANNEXFIELD, LTD.".
func dplName(raw string) (string, []string) {
	var aliases []string
	name := raw
	for {
		open := strings.IndexByte(name, '(')
		if open < 0 {
			break
		}
		end := strings.IndexByte(name[open:], ')')
		if end < 0 {
			name = name[:open] + name[open+1:]
			continue
		}
		if a := tidyName(name[open+1 : open+end]); a != "" {
			aliases = append(aliases, a)
		}
		name = name[:open] + " " + name[open+end+1:]
	}
	// "SIBERIAN AIRLINES D/B/A S7 AIRLINES": doing business as.
	for _, sep := range []string{" D/B/A ", " d/b/a ", " A/K/A ", " a/k/a ", " A.K.A. ", " a.k.a. "} {
		if n, a, ok := strings.Cut(name, sep); ok {
			if a = tidyName(a); a != "" {
				aliases = append(aliases, a)
			}
			name = n
		}
	}
	name = tidyName(name)
	if name == "" && len(aliases) > 0 {
		name, aliases = aliases[0], aliases[1:]
	}
	return name, aliases
}

// tidyName writes a name with single spaces and no space before a comma
// or after the last word.
func tidyName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, " ,", ",")
	return strings.Trim(s, " ,;")
}

// dplKey is what identifies an entry of the list across its lines and its
// editions: the name's letters and digits in upper case, words joined by
// dashes.
func dplKey(name string) string {
	words := strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return truncate(strings.Join(words, "-"), 400)
}

// dplDate reads the list's MM/DD/YYYY dates; an empty field is no date.
func dplDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("01/02/2006", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date MM/DD/YYYY", s)
	}
	return t, nil
}

func isUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
