package lists

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/oversight-dev/oversight"
)

// maxLine bounds a JSON line: a designation with every alias in every
// script is a few kilobytes.
const maxLine = 1 << 20

// ReadJSONL reads the project's designation list format: one
// oversight.Designation as a JSON object a line, decoded strictly (unknown
// fields are errors) and validated. Blank lines are skipped. Each line must
// have an id or a source, by which importing the file again updates the
// designation rather than adding it twice; neither may repeat in the file.
func ReadJSONL(r io.Reader, opts Options) (*Result, error) {
	return readJSONL(newSource(r, "designations.jsonl", -1, &opts, nil), opts)
}

func readJSONL(src *source, opts Options) (*Result, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	res := &Result{Skipped: map[string]int{}}
	ids := map[string]int{}
	sources := map[string]int{}
	n := 0
	for {
		line, err := readLine(br)
		if len(line) == 0 && err == io.EOF {
			break
		}
		n++
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, parseErrorf(src.name, n, "line longer than %d bytes", maxLine)
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("read %s: %w", src.name, err)
		}
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			src.line(n)
			continue
		}
		var d oversight.Designation
		if err := oversight.DecodeJSON(line, &d); err != nil {
			return nil, &ParseError{File: src.name, Line: n, Err: err}
		}
		if err := d.Validate(); err != nil {
			return nil, &ParseError{File: src.name, Line: n, Err: err}
		}
		switch {
		case d.ID == "" && d.Source == "":
			return nil, parseErrorf(src.name, n, "a designation needs an id or a source, so that importing the file again updates it")
		case d.ID != "" && !oversight.ValidID(oversight.PrefixDesignation, d.ID):
			return nil, parseErrorf(src.name, n, "id %q is not a designation id (des_…)", d.ID)
		}
		if d.ID != "" {
			if first, dup := ids[d.ID]; dup {
				return nil, parseErrorf(src.name, n, "id %s repeats line %d", d.ID, first)
			}
			ids[d.ID] = n
		}
		if d.Source != "" {
			if first, dup := sources[d.Source]; dup {
				return nil, parseErrorf(src.name, n, "source %s repeats line %d", d.Source, first)
			}
			sources[d.Source] = n
		}
		res.Designations = append(res.Designations, d)
		src.counts.records++
		src.line(n)
		if err == io.EOF {
			break
		}
	}
	src.done(n)
	return res, nil
}

// readLine returns the next line without its line ending. A line longer
// than maxLine is reported with bufio.ErrBufferFull.
func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxLine {
			// Skip the rest of the line so that the count stays right.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			return line, bufio.ErrBufferFull
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		return line, err
	}
}
