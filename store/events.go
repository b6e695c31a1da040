package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/oversight-dev/oversight"
)

// Record appends an event to the audit log in the caller's transaction and
// returns its log index. payload is marshalled to JSON and canonicalised
// (RFC 8785), so that the leaf is the same bytes whoever recomputes it.
func (tx *Tx) Record(typ, actor, subject string, payload any) (int64, error) {
	if tx.log == nil {
		return 0, errors.New("record event: read-only transaction")
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("record %s: %w", typ, err)
	}
	ev := oversight.Event{
		Index:   tx.log.size,
		Type:    typ,
		Actor:   actor,
		Subject: subject,
		Time:    time.Now().UTC().Truncate(time.Microsecond),
		Payload: raw,
	}
	entry, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("record %s: %w", typ, err)
	}
	if entry, err = jcs.Transform(entry); err != nil {
		return 0, fmt.Errorf("record %s: canonicalise: %w", typ, err)
	}
	if _, err := tx.exec(`INSERT INTO events (idx, type, actor, subject, time, entry) VALUES ($1, $2, $3, $4, $5, $6)`,
		ev.Index, ev.Type, ev.Actor, ev.Subject, ev.Time.UnixMicro(), entry); err != nil {
		return 0, fmt.Errorf("record %s: %w", typ, err)
	}
	tx.log.append(entry)
	return ev.Index, nil
}

// NextIndex returns the log index the next Record will take, so that a
// resource can carry the index of its own creation event in that event.
func (tx *Tx) NextIndex() int64 { return tx.log.size }

// Event returns the event at index i.
func (tx *Tx) Event(i int64) (*oversight.Event, error) {
	var entry []byte
	err := tx.queryRow(`SELECT entry FROM events WHERE idx = $1`, i).Scan(&entry)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oversight.NotFound("log entry", fmt.Sprint(i))
	}
	if err != nil {
		return nil, fmt.Errorf("read event %d: %w", i, err)
	}
	return decodeEvent(entry)
}

// Entries returns the raw leaf data of events [start, end), in order.
func (tx *Tx) Entries(start, end int64) ([][]byte, error) {
	rows, err := tx.query(`SELECT entry FROM events WHERE idx >= $1 AND idx < $2 ORDER BY idx`, start, end)
	if err != nil {
		return nil, fmt.Errorf("read entries [%d, %d): %w", start, end, err)
	}
	defer rows.Close()
	out := make([][]byte, 0, end-start)
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// History returns the events about a licence, oldest first: those whose
// subject is the licence and those about its enforcement actions.
func (tx *Tx) History(id string) ([]oversight.Event, error) {
	rows, err := tx.query(`SELECT entry FROM events WHERE subject = $1 OR subject IN (SELECT id FROM actions WHERE license_id = $1) ORDER BY idx`, id)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", id, err)
	}
	defer rows.Close()
	var out []oversight.Event
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		ev, err := decodeEvent(b)
		if err != nil {
			return nil, err
		}
		out = append(out, *ev)
	}
	return out, rows.Err()
}

// LogSize returns the number of events committed.
func (tx *Tx) LogSize() (int64, error) {
	var n int64
	err := tx.queryRow(`SELECT size FROM log_head WHERE id = 1`).Scan(&n)
	return n, err
}

func decodeEvent(entry []byte) (*oversight.Event, error) {
	var ev oversight.Event
	if err := json.Unmarshal(entry, &ev); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	return &ev, nil
}
