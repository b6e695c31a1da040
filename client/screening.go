package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/oversight-dev/oversight"
)

// CreateDesignation designates a person.
func (c *Client) CreateDesignation(ctx context.Context, r *oversight.DesignationRequest) (*oversight.Designation, error) {
	var out oversight.Designation
	return &out, c.Do(ctx, "POST", "/v1/designations", r, &out)
}

// Designation returns a designation.
func (c *Client) Designation(ctx context.Context, id string) (*oversight.Designation, error) {
	var out oversight.Designation
	return &out, c.Do(ctx, "GET", "/v1/designations/"+url.PathEscape(id), nil, &out)
}

// Designations lists designations, newest first.
func (c *Client) Designations(ctx context.Context, f oversight.DesignationFilter, o oversight.Page) (*oversight.List[oversight.Designation], error) {
	var out oversight.List[oversight.Designation]
	q := query(append([]string{"basis", string(f.Basis), "case", f.CaseID, "related_to", f.RelatedTo, "source", f.Source, "status", f.Status}, pagePairs(o)...)...)
	return &out, c.Do(ctx, "GET", "/v1/designations"+q, nil, &out)
}

// DelistDesignation lifts a designation, and those of the relatives
// designated because of the person.
func (c *Client) DelistDesignation(ctx context.Context, id, reason string) (*oversight.Designation, error) {
	var out oversight.Designation
	return &out, c.Do(ctx, "POST", "/v1/designations/"+url.PathEscape(id)+"/delist", &oversight.DelistRequest{Reason: reason}, &out)
}

// ImportDesignations imports one chunk of a list, at most 1,000
// designations, in one transaction.
func (c *Client) ImportDesignations(ctx context.Context, ds []oversight.Designation) (*oversight.ImportResult, error) {
	return c.ImportList(ctx, &oversight.DesignationImport{Designations: ds})
}

// ImportList sends one chunk of a list, and with the last chunk of a
// public list's version, the entries the version holds, so that those it
// no longer holds are delisted.
func (c *Client) ImportList(ctx context.Context, r *oversight.DesignationImport) (*oversight.ImportResult, error) {
	var out oversight.ImportResult
	return &out, c.Do(ctx, "POST", "/v1/designations:import", r, &out)
}

// DesignateFromCase designates the people a misuse case reaches: the
// vendor's owners and executives, the persons in r, and their relatives
// on record.
func (c *Client) DesignateFromCase(ctx context.Context, caseID string, r *oversight.CaseDesignationRequest) (*oversight.CaseDesignations, error) {
	var out oversight.CaseDesignations
	return &out, c.Do(ctx, "POST", "/v1/cases/"+url.PathEscape(caseID)+"/designations", r, &out)
}

// Screen screens one name.
func (c *Client) Screen(ctx context.Context, r *oversight.ScreenRequest) (*oversight.ScreenResult, error) {
	var out oversight.ScreenResult
	return &out, c.Do(ctx, "POST", "/v1/screen", r, &out)
}

// Batch content types.
const (
	ContentTypeCSV   = "text/csv"
	ContentTypeJSONL = "application/x-ndjson"
)

// ScreenBatch sends a batch (CSV with a header, or JSON lines, as
// contentType says) and calls line with each answer line as it arrives,
// decoded and as the server wrote it, while the batch is still being sent.
// It returns the screening's id. The request has no overall timeout (a
// batch of 100,000 rows takes a while); ctx bounds it.
func (c *Client) ScreenBatch(ctx context.Context, body io.Reader, contentType string, o oversight.BatchOptions, line func(l *oversight.BatchLine, raw []byte) error) (string, error) {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.MinScore > 0 {
		q.Set("min_score", strconv.FormatFloat(o.MinScore, 'g', -1, 64))
	}
	if o.IncludeDelisted {
		q.Set("include_delisted", "true")
	}
	path := "/v1/screen:batch"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	hc := *c.httpClient()
	hc.Timeout = 0
	resp, err := (&Client{BaseURL: c.BaseURL, Token: c.Token, UserAgent: c.UserAgent, HTTP: &hc}).send(ctx, "POST", path, contentType, body, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	id := resp.Header.Get("Oversight-Screening-Id")
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		raw, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(raw)) > 0 {
			var l oversight.BatchLine
			if jerr := json.Unmarshal(raw, &l); jerr != nil {
				return id, fmt.Errorf("screen batch: answer line: %w", jerr)
			}
			if cerr := line(&l, bytes.TrimRight(raw, "\r\n")); cerr != nil {
				return id, cerr
			}
		}
		if err == io.EOF {
			return id, nil
		}
		if err != nil {
			return id, fmt.Errorf("screen batch: read answer: %w", err)
		}
	}
}
