package screen

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// maxBatchRowBytes bounds one row of a batch, so that a row without a
// line end cannot fill the memory of the program reading it.
const maxBatchRowBytes = 64 << 10

// BatchFormat is the format of a screening batch.
type BatchFormat string

// Batch formats.
const (
	// BatchCSV is CSV with a header naming the columns: name, and
	// optionally birth_date and nationality, in any order.
	BatchCSV BatchFormat = "csv"
	// BatchJSONL is one JSON object a line with the same keys.
	BatchJSONL BatchFormat = "jsonl"
)

// BatchFormatFor returns the format a Content-Type names: text/csv for
// CSV, application/x-ndjson, application/jsonl (and their aliases) for
// JSON lines.
func BatchFormatFor(contentType string) (BatchFormat, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err == nil {
		switch mt {
		case "text/csv", "application/csv":
			return BatchCSV, nil
		case "application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines", "application/json-lines":
			return BatchJSONL, nil
		}
	}
	return "", oversight.Invalid("invalid batch", "Content-Type", "%q: must be text/csv (a header line name,birth_date,nationality) or application/x-ndjson (JSON lines)", contentType)
}

// BatchRow is one row of a batch as read. Err is set when the row could
// not be read (wrong number of fields, malformed JSON): the batch goes on.
type BatchRow struct {
	// Row counts the rows from 1: the records after a CSV header, the
	// non-blank lines of JSON lines.
	Row         int
	Name        string
	BirthDate   string
	Nationality string
	Err         error
}

// ErrRowTooLong is returned by BatchReader.Next for a row longer than 64
// KiB; it ends the batch.
var ErrRowTooLong = errors.New("row longer than 64 KiB")

// BatchReader reads a batch one row at a time: however long the batch,
// it holds one row and a read buffer.
type BatchReader struct {
	format BatchFormat
	br     *bufio.Reader
	csv    *csv.Reader
	cols   map[string]int // CSV column of name, birth_date, nationality
	width  int            // CSV fields a record has
	row    int
	err    error // sticky: the batch cannot be read further
}

// NewBatchReader returns a reader of a batch in format. For CSV it reads
// the header at once and returns an EINVALID error when the header does
// not name the column name, or names a column it does not know.
func NewBatchReader(r io.Reader, format BatchFormat) (*BatchReader, error) {
	b := &BatchReader{format: format, br: bufio.NewReaderSize(&lineGuard{r: r, max: maxBatchRowBytes}, 2*maxBatchRowBytes)}
	switch format {
	case BatchJSONL:
		return b, nil
	case BatchCSV:
	default:
		return nil, oversight.Errorf(oversight.EINVALID, "unknown batch format %q: use csv or jsonl", format)
	}
	// A UTF-8 byte order mark, as spreadsheet programs write, is not part
	// of the first column's name.
	if bom, err := b.br.Peek(3); err == nil && string(bom) == "\xef\xbb\xbf" {
		b.br.Discard(3)
	}
	b.csv = csv.NewReader(b.br) // the same bufio.Reader: Buffered stays true
	b.csv.ReuseRecord = true
	b.csv.TrimLeadingSpace = true
	header, err := b.csv.Read()
	bad := func(msg string, args ...any) error {
		return oversight.Invalid("invalid batch", "header", msg, args...)
	}
	switch {
	case err == io.EOF:
		return nil, bad("the batch is empty; its first line must be the header name,birth_date,nationality")
	case errors.Is(err, ErrRowTooLong):
		return nil, bad("the first line is longer than 64 KiB")
	case err != nil:
		return nil, bad("%v", err)
	}
	b.cols = map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "name", "birth_date", "nationality":
			if _, dup := b.cols[h]; dup {
				return nil, bad("column %s appears twice", h)
			}
			b.cols[h] = i
		default:
			return nil, bad("unknown column %q: the columns are name, birth_date and nationality", h)
		}
	}
	if _, ok := b.cols["name"]; !ok {
		return nil, bad("no name column: the header is name,birth_date,nationality (only name is required)")
	}
	b.width = len(header)
	b.csv.FieldsPerRecord = b.width
	return b, nil
}

// Next returns the next row, io.EOF after the last, or an error that ends
// the batch (a row too long, the body cut short).
func (b *BatchReader) Next() (BatchRow, error) {
	if b.err != nil {
		return BatchRow{}, b.err
	}
	var (
		row BatchRow
		err error
	)
	if b.format == BatchCSV {
		row, err = b.nextCSV()
	} else {
		row, err = b.nextJSONL()
	}
	if err != nil {
		b.err = err
	}
	return row, err
}

// Buffered returns the bytes read from the input and not yet returned as
// rows. When it is 0, the next row will wait for the input: the moment to
// answer what has been read.
func (b *BatchReader) Buffered() int { return b.br.Buffered() }

// Rows returns the number of rows read so far.
func (b *BatchReader) Rows() int { return b.row }

func (b *BatchReader) nextCSV() (BatchRow, error) {
	before := b.csv.InputOffset()
	rec, err := b.csv.Read()
	if err == io.EOF {
		return BatchRow{}, io.EOF
	}
	var pe *csv.ParseError
	if err != nil && (!errors.As(err, &pe) || b.csv.InputOffset() == before) {
		return BatchRow{}, fmt.Errorf("read row %d: %w", b.row+1, err)
	}
	b.row++
	row := BatchRow{Row: b.row}
	if err != nil {
		if errors.Is(err, csv.ErrFieldCount) {
			row.Err = fmt.Errorf("%d fields, but the header has %d", len(rec), b.width)
		} else {
			row.Err = pe.Err
		}
		if i := b.cols["name"]; len(rec) > i {
			row.Name = rec[i]
		}
		return row, nil
	}
	field := func(name string) string {
		if i, ok := b.cols[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	row.Name, row.BirthDate, row.Nationality = field("name"), field("birth_date"), field("nationality")
	return row, nil
}

func (b *BatchReader) nextJSONL() (BatchRow, error) {
	for {
		line, err := b.br.ReadSlice('\n')
		if len(line) == 0 && err == io.EOF {
			return BatchRow{}, io.EOF
		}
		if err != nil && err != io.EOF {
			return BatchRow{}, fmt.Errorf("read row %d: %w", b.row+1, err)
		}
		line = bytes.TrimSpace(line)
		if b.row == 0 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if len(line) == 0 {
			if err == io.EOF {
				return BatchRow{}, io.EOF
			}
			continue
		}
		b.row++
		var v struct {
			Name        string `json:"name"`
			BirthDate   string `json:"birth_date"`
			Nationality string `json:"nationality"`
		}
		row := BatchRow{Row: b.row}
		if err := oversight.DecodeJSON(line, &v); err != nil {
			row.Err = err
			return row, nil
		}
		row.Name, row.BirthDate, row.Nationality = v.Name, strings.TrimSpace(v.BirthDate), strings.TrimSpace(v.Nationality)
		return row, nil
	}
}

// lineGuard fails a read once a line runs longer than max bytes, so that
// neither the CSV reader nor a JSON line can grow without bound.
type lineGuard struct {
	r   io.Reader
	max int
	run int // bytes since the last line end
}

func (g *lineGuard) Read(p []byte) (int, error) {
	if g.run > g.max {
		return 0, ErrRowTooLong
	}
	n, err := g.r.Read(p)
	// Hand out the bytes up to the first one past the limit, and fail
	// there: a long line that fits the read buffer must not get through.
	for off := 0; off < n; {
		i := bytes.IndexByte(p[off:n], '\n')
		end := n
		if i >= 0 {
			end = off + i
		}
		if g.run+end-off > g.max {
			cut := off + g.max - g.run + 1
			g.run = g.max + 1
			return cut, ErrRowTooLong
		}
		if i < 0 {
			g.run += end - off
			break
		}
		g.run, off = 0, end+1
	}
	return n, err
}

// ScreenRow screens one row of a batch against ix, as the server does and
// as "oversight screen --file --list" does offline, and returns its answer
// line and the request it made (nil for a row in error).
func ScreenRow(ix *Index, row BatchRow, o oversight.BatchOptions, at time.Time) (oversight.BatchLine, *oversight.ScreenRequest) {
	line := oversight.BatchLine{Row: row.Row, Name: row.Name}
	if row.Err != nil {
		line.Error = rowError(row.Err)
		return line, nil
	}
	r := &oversight.ScreenRequest{Name: row.Name, BirthDate: row.BirthDate, Nationality: strings.ToUpper(row.Nationality),
		Limit: o.Limit, MinScore: o.MinScore, IncludeDelisted: o.IncludeDelisted}
	if err := r.Validate(); err != nil {
		line.Error = rowError(err)
		return line, nil
	}
	m, err := ix.Screen(QueryFor(r, at))
	if err != nil {
		line.Error = rowError(err)
		return line, nil
	}
	line.Matches = m
	if line.Matches == nil {
		line.Matches = []oversight.Match{}
	}
	return line, r
}

// rowError is the message of a bad row: the invalid fields, without the
// generic message around them.
func rowError(err error) string {
	var de *oversight.Error
	if errors.As(err, &de) && len(de.Fields) > 0 {
		parts := make([]string, len(de.Fields))
		for i, f := range de.Fields {
			parts[i] = f.Field + ": " + f.Message
			if f.Field == "" {
				parts[i] = f.Message
			}
		}
		return strings.Join(parts, "; ")
	}
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}

// QueryFor returns the query of a screening request, screening the
// list as it stands at at.
func QueryFor(r *oversight.ScreenRequest, at time.Time) Query {
	return Query{Name: r.Name, BirthDate: r.BirthDate, Nationality: r.Nationality, Limit: r.Limit,
		MinScore: r.MinScore, Type: r.Type, Country: r.Country, IncludeDelisted: r.IncludeDelisted, At: at}
}
