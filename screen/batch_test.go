package screen

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/oversight-dev/oversight"
)

func TestBatchFormatFor(t *testing.T) {
	for _, tc := range []struct {
		ct   string
		want BatchFormat
	}{
		{"text/csv", BatchCSV},
		{"text/csv; charset=utf-8", BatchCSV},
		{"application/x-ndjson", BatchJSONL},
		{"application/jsonl", BatchJSONL},
		{"application/json", ""},
		{"", ""},
	} {
		got, err := BatchFormatFor(tc.ct)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("BatchFormatFor(%q) = %q, %v; want %q", tc.ct, got, err, tc.want)
		}
	}
}

func TestBatchReaderRowTooLong(t *testing.T) {
	long := "name\n" + strings.Repeat("x", 70<<10) + "\nB\n"
	br, err := NewBatchReader(strings.NewReader(long), BatchCSV)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := br.Next(); !errors.Is(err, ErrRowTooLong) {
		t.Errorf("Next = %v, want ErrRowTooLong", err)
	}
}

// FuzzBatchReader reads arbitrary input as CSV and as JSON lines: it never
// panics or loops, numbers rows from 1 one by one, and reads no more rows
// than the input has lines.
func FuzzBatchReader(f *testing.F) {
	for _, s := range []string{
		"name,birth_date,nationality\nRadomir Zavadsky,1968,RU\n",
		"name\n\"a, b\"\n\"unterminated\n",
		"nationality,name\nRU\nRU,x,y\n",
		`{"name":"A"}` + "\n\n" + `{"name":1}` + "\n" + `[]` + "\n",
		"\ufeffname\r\nA\r\n",
		"",
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, isCSV bool) {
		format := BatchJSONL
		if isCSV {
			format = BatchCSV
		}
		br, err := NewBatchReader(bytes.NewReader(data), format)
		if err != nil {
			if oversight.ErrorCode(err) != oversight.EINVALID {
				t.Fatalf("header error %v is not EINVALID", err)
			}
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		ix := NewIndex()
		for n := 1; ; n++ {
			row, err := br.Next()
			if err != nil {
				break
			}
			if row.Row != n || n > lines {
				t.Fatalf("row %d numbered %d (input of %d lines)", n, row.Row, lines)
			}
			line, req := ScreenRow(ix, row, oversight.BatchOptions{}, time.Now())
			if (req == nil) != (line.Error != "") || line.Row != n {
				t.Fatalf("row %+v answered %+v", row, line)
			}
		}
	})
}
