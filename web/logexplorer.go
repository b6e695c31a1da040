package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/oversight-dev/oversight"
)

// The log explorer: the latest checkpoint, the entries newest first,
// searched by subject (a licence, vendor, case… id) and type, and one
// entry, whose inclusion in the signed tree the reader's browser checks
// itself (static/verify.js, WebCrypto) against the key the reader pinned,
// so that nobody need trust this server's page for it.
func (s *Server) routesLogExplorer() {
	s.handlePublic("GET", "/transparency/log", s.logExplorer)
	s.handlePublic("GET", "/transparency/log/{index}", s.logEntry)
}

// logPage is how many entries the explorer lists at a time.
const logPage = 50

// logData is the explorer's page: the checkpoint, the search and a page of
// entries.
type logData struct {
	Origin, Root, Note, Key string
	Size                    int64
	Subject, Type           string
	Entries                 []logRow
	Older                   template.URL // the next page's query, if any
}

// logRow is one entry of a list: the event's public fields.
type logRow struct {
	oversight.Event
	Raw bool // the leaf is not an event (shown by index only)
}

func (s *Server) logExplorer(w http.ResponseWriter, r *http.Request) error {
	_, p, _ := s.session(r)
	q := r.URL.Query()
	pg := &page{Title: "Audit log", Form: q}
	d := &logData{Subject: q.Get("subject"), Type: q.Get("type")}
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return oversight.Invalid("invalid before", "before", "must be a log index from 1")
		}
		before = n
	}
	sc, err := s.svc.LogCheckpoint(r.Context())
	if err != nil {
		return err
	}
	key, err := s.svc.LogVerifierKey(r.Context())
	if err != nil {
		return err
	}
	d.Origin, d.Root, d.Note, d.Key, d.Size = sc.Origin, sc.Root.String(), string(sc.Note), key, sc.Size
	entries, _, err := s.svc.NewestLogEntries(r.Context(), d.Subject, d.Type, before, logPage)
	if err != nil {
		if formError(pg, err, nil) {
			pg.Data = d
			return s.renderStatus(w, r, p, http.StatusBadRequest, "log", pg)
		}
		return err
	}
	for _, e := range entries {
		row := logRow{}
		if json.Unmarshal(e.Entry, &row.Event) != nil {
			row.Raw = true
		}
		row.Index = e.Index
		d.Entries = append(d.Entries, row)
	}
	if len(entries) == logPage && entries[len(entries)-1].Index > 0 {
		v := url.Values{}
		for k, x := range map[string]string{"subject": d.Subject, "type": d.Type} {
			if x != "" {
				v.Set(k, x)
			}
		}
		v.Set("before", strconv.FormatInt(entries[len(entries)-1].Index, 10))
		d.Older = template.URL(v.Encode())
	}
	pg.Data = d
	return s.render(w, r, p, "log", pg)
}

// logEntryData is one entry's page: the entry as the server reads it, and
// what the reader's browser needs to check it.
type logEntryData struct {
	Index   int64
	Event   *oversight.Event
	Payload string // indented
	Raw     string // the leaf, when it is not an event
	Size    int64  // the latest checkpoint's
	Key     string // the log's verifier key, as this server says
}

func (s *Server) logEntry(w http.ResponseWriter, r *http.Request) error {
	_, p, _ := s.session(r)
	index, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || index < 0 {
		return oversight.Errorf(oversight.ENOTFOUND, "There is no log entry %q: an entry's index is a whole number from 0.", r.PathValue("index"))
	}
	e, err := s.svc.LogEntry(r.Context(), index)
	if err != nil {
		return err
	}
	sc, err := s.svc.LogCheckpoint(r.Context())
	if err != nil {
		return err
	}
	key, err := s.svc.LogVerifierKey(r.Context())
	if err != nil {
		return err
	}
	d := &logEntryData{Index: index, Size: sc.Size, Key: key}
	var ev oversight.Event
	if err := json.Unmarshal(e.Entry, &ev); err == nil {
		d.Event = &ev
		var b bytes.Buffer
		if json.Indent(&b, ev.Payload, "", "  ") == nil {
			d.Payload = b.String()
		}
	} else {
		d.Raw = string(e.Entry)
	}
	return s.render(w, r, p, "log_entry", &page{Title: "Log entry " + strconv.FormatInt(index, 10), Data: d})
}
