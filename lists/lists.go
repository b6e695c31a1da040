package lists

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/oversight-dev/oversight"
)

// Format names a list file format, as `oversight designations import
// --format` takes it.
type Format string

// List formats.
const (
	FormatJSONL   Format = "jsonl"    // one oversight.Designation as JSON a line
	FormatOFACSDN Format = "ofac-sdn" // OFAC SDN or consolidated (non-SDN) legacy CSV
	FormatBISDPL  Format = "bis-dpl"  // BIS Denied Persons List, tab-separated
)

// Progress is reported while a list file is read.
type Progress struct {
	File    string // base name of the file being read
	FileNum int    // which file of the list it is, from 1
	Files   int    // how many files the list has (sdn.csv, alt.csv…)
	Line    int    // lines read so far
	Bytes   int64  // bytes read so far
	Size    int64  // size of the file, or -1 when unknown
	Records int    // designations read so far, in all files of the list
	Skipped int    // records skipped so far, in all files of the list
	Done    bool   // set on the last report for the file
}

// Options tune a reader. The zero value reads persons and organisations,
// without progress reports.
type Options struct {
	// Progress, when set, is called every ProgressEvery lines of each
	// file and once more when the file is done. It is called from the
	// reading goroutine: it should be quick.
	Progress func(Progress)
	// ProgressEvery is the number of lines between reports; 500 when 0.
	ProgressEvery int
	// Basis is given to the designations of a public list;
	// BasisSanctionsList when empty, so that an entry says it comes from
	// the list (its Source and Program say which) rather than from this
	// system's visa policy. The JSON lines format carries its own.
	Basis oversight.Basis
	// PersonsOnly leaves out the entities (companies, organisations) of a
	// list, counting them in Result.Skipped.
	PersonsOnly bool
	// At is the moment a list's own end dates are read against (a BIS
	// denial order that expired before At is returned delisted); the
	// current time when zero.
	At time.Time
}

// Result is a list read in full.
type Result struct {
	Designations []oversight.Designation
	// Skipped counts the records left out, by reason: "vessel",
	// "aircraft", "entity".
	Skipped map[string]int
}

// ParseError is a problem at one line of a list file. Err is an
// *oversight.Error with code EINVALID, so oversight.ErrorCode(err) is
// EINVALID for any malformed list.
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

func parseErrorf(file string, line int, format string, args ...any) *ParseError {
	return &ParseError{File: file, Line: line, Err: oversight.Errorf(oversight.EINVALID, format, args...)}
}

// Load reads the list file at path in the given format. For FormatOFACSDN,
// path is the sdn.csv file; alt.csv and sdn_comments.csv are read from the
// same directory when they exist (the names are matched case-insensitively,
// as OFAC publishes them in both cases).
func Load(format Format, path string, opts Options) (*Result, error) {
	switch format {
	case FormatJSONL:
		return loadJSONL(path, opts)
	case FormatOFACSDN:
		return loadSDN(path, opts)
	case FormatBISDPL:
		f, size, err := open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return readDPL(newSource(f, filepath.Base(path), size, &opts, nil), opts)
	}
	return nil, oversight.Errorf(oversight.EINVALID, "unknown list format %q: use jsonl, ofac-sdn or bis-dpl", format)
}

// basis returns the basis of a public list's entries.
func (o *Options) basis() (oversight.Basis, error) {
	if o.Basis == "" {
		return oversight.BasisSanctionsList, nil
	}
	if !o.Basis.Valid() || o.Basis == oversight.BasisImmediateRelative {
		return "", oversight.Errorf(oversight.EINVALID, "basis %q cannot be given to a list's entries", o.Basis)
	}
	return o.Basis, nil
}

func loadJSONL(path string, opts Options) (*Result, error) {
	f, size, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readJSONL(newSource(f, filepath.Base(path), size, &opts, nil), opts)
}

func open(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("open list: %w", err)
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return f, size, nil
}

// source counts the bytes and lines read from one file and reports
// progress.
type source struct {
	r       io.Reader
	name    string
	size    int64
	bytes   int64
	every   int
	report  func(Progress)
	counts  *counts
	lastRep int
	num, of int // FileNum and Files
}

// counts are the running totals of a list across its files.
type counts struct{ records, skipped int }

func newSource(r io.Reader, name string, size int64, opts *Options, c *counts) *source {
	if c == nil {
		c = new(counts)
	}
	every := opts.ProgressEvery
	if every <= 0 {
		every = 500
	}
	return &source{r: r, name: name, size: size, every: every, report: opts.Progress, counts: c, num: 1, of: 1}
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.bytes += int64(n)
	return n, err
}

// line is called after each line is read.
func (s *source) line(n int) {
	if s.report != nil && n-s.lastRep >= s.every {
		s.lastRep = n
		s.report(Progress{File: s.name, FileNum: s.num, Files: s.of, Line: n, Bytes: s.bytes, Size: s.size, Records: s.counts.records, Skipped: s.counts.skipped})
	}
}

func (s *source) done(n int) {
	if s.report != nil {
		s.report(Progress{File: s.name, FileNum: s.num, Files: s.of, Line: n, Bytes: s.bytes, Size: s.size, Records: s.counts.records, Skipped: s.counts.skipped, Done: true})
	}
}
