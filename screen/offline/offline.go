// Package offline screens names against a designation list file without a
// server ("oversight screen --list"): the list is read into a fresh index
// (screen.Index), and a name or a batch is screened against it as the
// server would screen it, without recording anything.
//
// It is the whole of offline screening apart from the command line's flags
// and printing, so that the command stays wiring and the same screening
// can be tested and reused without it.
package offline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/lists"
	"github.com/oversight-dev/oversight/screen"
)

// ListFormat is format, or when it is "auto" or empty, the one the file
// name of path says: JSON lines (.jsonl, .ndjson, .json), the BIS Denied
// Persons List (.txt, .tsv), or else OFAC's.
func ListFormat(path, format string) lists.Format {
	if format != "" && format != "auto" {
		return lists.Format(format)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return lists.FormatJSONL
	case ".txt", ".tsv":
		return lists.FormatBISDPL
	}
	return lists.FormatOFACSDN
}

// Load reads the list file at path, in format (ListFormat), into a new
// index. An entry with no id of this system is known by its source, such
// as ofac-sdn:36216: that is the designation_id its matches show. A
// malformed list is a *lists.ParseError, with nothing loaded.
func Load(path, format string, progress func(lists.Progress)) (*screen.Index, error) {
	res, err := lists.Load(ListFormat(path, format), path, lists.Options{Progress: progress})
	if err != nil {
		return nil, err
	}
	for i := range res.Designations {
		if d := &res.Designations[i]; d.ID == "" {
			d.ID = d.Source
		}
	}
	ix := screen.NewIndex()
	if err := ix.PutAll(res.Designations); err != nil {
		return nil, err
	}
	return ix, nil
}

// Screen screens one request against ix, as POST /v1/screen would, but
// records nothing: the answer has no screening id.
func Screen(ix *screen.Index, r *oversight.ScreenRequest) (*oversight.ScreenResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	m, err := ix.Screen(screen.QueryFor(r, time.Time{}))
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = []oversight.Match{}
	}
	return &oversight.ScreenResult{Matches: m}, nil
}

// BatchFormat tells CSV from JSON lines by the file name's extension, or
// else by the first character br holds.
func BatchFormat(name string, br *bufio.Reader) screen.BatchFormat {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return screen.BatchCSV
	case ".jsonl", ".ndjson":
		return screen.BatchJSONL
	}
	head, _ := br.Peek(512)
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(head) > 0 && head[0] == '{' {
		return screen.BatchJSONL
	}
	return screen.BatchCSV
}

// CountRows counts the rows of a batch file as the server numbers them.
func CountRows(path string, format screen.BatchFormat) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br, err := screen.NewBatchReader(f, format)
	if err != nil {
		return 0, err
	}
	for {
		if _, err := br.Next(); err != nil {
			return int64(br.Rows()), nil
		}
	}
}

// Batch screens the rows of in against ix, as POST /v1/screen:batch
// would, without recording them, calling line with each answer and its
// JSON as the server would write it. A row the reader cannot read ends
// the batch with a line saying why.
func Batch(ix *screen.Index, in io.Reader, format screen.BatchFormat, o oversight.BatchOptions, line func(*oversight.BatchLine, []byte) error) error {
	rows, err := screen.NewBatchReader(in, format)
	if err != nil {
		return err
	}
	for {
		row, err := rows.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			l := oversight.BatchLine{Row: rows.Rows() + 1, Error: err.Error()}
			raw, _ := json.Marshal(l)
			return line(&l, raw)
		}
		sl, _ := screen.ScreenRow(ix, row, o, time.Now())
		l := oversight.BatchLine(sl)
		raw, err := json.Marshal(l)
		if err != nil {
			return err
		}
		if err := line(&l, raw); err != nil {
			return err
		}
	}
}
