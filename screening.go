package oversight

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"time"
)

// Kinds of screening.
const (
	ScreeningSingle = "single" // one name, POST /v1/screen
	ScreeningBatch  = "batch"  // a file of names, POST /v1/screen:batch
)

// Screening is the record of one screening request: a single query
// (kind "single") or a batch ("batch"). A batch's rows are written as it
// goes; FinishedAt, Digest and LogIndex are set when it ends, with the
// screening.performed event.
type Screening struct {
	ID         string     `json:"id"`
	Actor      string     `json:"actor"`
	Kind       string     `json:"kind"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Rows       int64      `json:"rows"`
	Errors     int64      `json:"errors"`
	// Digest is the hex SHA-256 of the rows (see ScreeningDigest).
	Digest   string `json:"digest,omitempty"`
	LogIndex *int64 `json:"log_index,omitempty"`
}

// ScreeningRow is one name screened. The name itself is not kept: NameHash
// and QueryHash are hex HMAC-SHA256 digests under the server's screening
// key. TopDesignation and TopScore are the best match, if any.
type ScreeningRow struct {
	Row            int64     `json:"row"`
	At             time.Time `json:"at"`
	NameHash       string    `json:"name_hash"`
	QueryHash      string    `json:"query_hash"`
	Matches        int       `json:"matches"`
	TopDesignation string    `json:"top_designation,omitempty"`
	TopScore       float64   `json:"top_score,omitempty"`
}

// ScreeningRecord is a screening's record as an auditor reads it
// (GET /v1/screenings/{id}), with whether its rows still hash to the
// digest of its event in the log.
type ScreeningRecord struct {
	Screening
	Verified bool `json:"verified"`
	// Problem says why Verified is false.
	Problem string `json:"problem,omitempty"`
}

// ScreenResult is the answer to POST /v1/screen: the matches, best first,
// and the record of the screening.
type ScreenResult struct {
	Matches     []Match `json:"matches"`
	ScreeningID string  `json:"screening_id,omitempty"`
	LogIndex    *int64  `json:"log_index,omitempty"`
}

// BatchOptions apply to every row of a batch: the query string of
// POST /v1/screen:batch.
type BatchOptions struct {
	Limit           int
	MinScore        float64
	IncludeDelisted bool
}

// Validate checks the options, as ScreenRequest.Validate checks the same
// fields of one request.
func (o BatchOptions) Validate() error {
	r := ScreenRequest{Name: "-", Limit: o.Limit, MinScore: o.MinScore}
	return r.Validate()
}

// BatchLine is one line of a batch's answer, in input order: the row's
// matches, or why the row was not screened.
type BatchLine struct {
	Row     int     `json:"row"`
	Name    string  `json:"name,omitempty"`
	Matches []Match `json:"matches,omitzero"`
	Error   string  `json:"error,omitempty"`
}

// ScreeningDigest computes the digest a screening.performed event carries:
// the hex SHA-256 of the line "oversight-screening-v1 ID" and then one
// line per row, in row order,
//
//	ROW AT NAME_HASH QUERY_HASH MATCHES TOP_DESIGNATION TOP_SCORE
//
// separated by single spaces and ended by "\n", where AT is in
// microseconds since the Unix epoch, TOP_DESIGNATION is "-" when nothing
// matched and TOP_SCORE is the shortest decimal that reads back as the
// float64 stored ("0" when nothing matched). An auditor with the table
// recomputes it and compares it with the log.
type ScreeningDigest struct{ h hash.Hash }

// NewScreeningDigest starts the digest of screening id.
func NewScreeningDigest(id string) *ScreeningDigest {
	d := &ScreeningDigest{h: sha256.New()}
	fmt.Fprintf(d.h, "oversight-screening-v1 %s\n", id)
	return d
}

// Add adds the next row.
func (d *ScreeningDigest) Add(r ScreeningRow) {
	top := r.TopDesignation
	if top == "" {
		top = "-"
	}
	fmt.Fprintf(d.h, "%d %d %s %s %d %s %s\n", r.Row, r.At.UnixMicro(), r.NameHash, r.QueryHash, r.Matches, top,
		strconv.FormatFloat(r.TopScore, 'g', -1, 64))
}

// Sum returns the digest in hex.
func (d *ScreeningDigest) Sum() string { return hex.EncodeToString(d.h.Sum(nil)) }
