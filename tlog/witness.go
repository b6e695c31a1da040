package tlog

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The add-checkpoint request of C2SP tlog-witness: how a log asks a witness
// to cosign a checkpoint, proving it consistent with the last one the
// witness cosigned.

// MaxWitnessProof is the largest number of consistency proof lines an
// add-checkpoint request may carry (C2SP tlog-witness).
const MaxWitnessProof = 63

// ErrInvalidRequest reports an add-checkpoint request not in the form C2SP
// tlog-witness prescribes. A witness answers it with 400 Bad Request.
var ErrInvalidRequest = errors.New("invalid add-checkpoint request")

// AddCheckpoint is the body of a POST <witness>/add-checkpoint request.
type AddCheckpoint struct {
	// OldSize is the size of the last checkpoint the witness cosigned for
	// the log, as the log believes; 0 if none.
	OldSize int64
	// Proof is the consistency proof from OldSize to the checkpoint's
	// size; empty if OldSize is 0 or equals it.
	Proof []Hash
	// Note is the checkpoint note, signed by the log (and perhaps others).
	Note []byte
}

// Marshal returns the request body: "old N", one base64 hash a line, an
// empty line, then the note.
func (r AddCheckpoint) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString("old ")
	b.WriteString(strconv.FormatInt(r.OldSize, 10))
	b.WriteByte('\n')
	for _, h := range r.Proof {
		b.WriteString(h.String())
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(r.Note)
	return b.Bytes()
}

// ParseAddCheckpoint parses an add-checkpoint request body strictly: the
// old size in decimal without sign or leading zeros, at most
// MaxWitnessProof canonical base64 hashes, an empty line and a non-empty
// note (whose signatures the witness checks). Errors wrap
// ErrInvalidRequest.
func ParseAddCheckpoint(body []byte) (AddCheckpoint, error) {
	r, err := parseAddCheckpoint(body)
	if err != nil {
		return AddCheckpoint{}, fmt.Errorf("%w: %s", ErrInvalidRequest, err)
	}
	return r, nil
}

func parseAddCheckpoint(body []byte) (AddCheckpoint, error) {
	var r AddCheckpoint
	head, msg, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return r, errors.New("no empty line before the checkpoint")
	}
	if len(msg) == 0 {
		return r, errors.New("no checkpoint after the empty line")
	}
	lines := strings.Split(string(head), "\n")
	size, ok := strings.CutPrefix(lines[0], "old ")
	if !ok {
		return r, fmt.Errorf("first line %.40q is not \"old <size>\"", lines[0])
	}
	if r.OldSize, ok = parseDecimal(size, math.MaxInt64); !ok {
		return r, fmt.Errorf("old size %.30q is not a decimal without sign or leading zeros", size)
	}
	proof := lines[1:]
	if len(proof) > MaxWitnessProof {
		return r, fmt.Errorf("%d consistency proof lines, at most %d", len(proof), MaxWitnessProof)
	}
	for i, line := range proof {
		h, err := ParseHash(line)
		if err != nil {
			return r, fmt.Errorf("consistency proof line %d: %v", i+1, err)
		}
		r.Proof = append(r.Proof, h)
	}
	r.Note = msg
	return r, nil
}
