package store

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/tlog"
)

// Record appends an event to the audit log in the caller's transaction and
// returns its log index. payload is marshalled to JSON and canonicalised
// (RFC 8785), so that the leaf is the same bytes whoever recomputes it. The
// leaf is appended to the Merkle tree only once the event row is written,
// and both are undone with the caller's savepoint: no change without its
// leaf, no leaf without its change. An event whose canonical JSON exceeds
// tlog.MaxEntrySize (65,535 bytes) is refused with ETOOLARGE.
//
// at is the event's time, from the caller's clock: the time that stamped
// the change the event records, so that the two agree whatever clock the
// caller runs on. It is kept in UTC at microsecond precision.
func (tx *Tx) Record(typ, actor, subject string, at time.Time, payload any) (int64, error) {
	if tx.log == nil {
		return 0, errors.New("record event: read-only transaction")
	}
	raw, err := canonicalPayload(payload)
	if err != nil {
		return 0, fmt.Errorf("record %s: %w", typ, err)
	}
	ev := oversight.Event{
		Index:   tx.log.nextIndex(),
		Type:    typ,
		Actor:   actor,
		Subject: subject,
		Time:    at.UTC().Truncate(time.Microsecond),
		Payload: raw,
	}
	entry := ev.AppendCanonicalJSON(make([]byte, 0, len(raw)+192))
	if len(entry) > tlog.MaxEntrySize {
		return 0, &oversight.Error{Code: oversight.ETOOLARGE, Message: fmt.Sprintf(
			"record %s: the event is %d bytes of canonical JSON; the audit log takes at most %d bytes per entry", typ, len(entry), tlog.MaxEntrySize)}
	}
	if _, err := tx.stmts.exec(tx.ctx, tx.tx, stmtInsertEvent,
		ev.Index, ev.Type, ev.Actor, ev.Subject, ev.Time.UnixMicro(), entry); err != nil {
		return 0, fmt.Errorf("record %s: %w", typ, err)
	}
	if _, err := tx.log.batch.AppendEntry(entry); err != nil {
		// Unreachable after the size check; the caller's savepoint
		// removes the row.
		return 0, fmt.Errorf("record %s: %w", typ, err)
	}
	return ev.Index, nil
}

// RecordPrivate is Record for an event about people: the members of
// payload at paths (oversight.Redact: "persons[].name") are withheld from
// the public log, which carries instead, in the payload's member
// oversight.PrivateMember, a salted commitment to them; the salt and the
// withheld fields, as canonical JSON, are kept in log_private, in the same
// transaction, for authorised auditors (Disclosure). When no path names
// anything in payload, it is Record.
func (tx *Tx) RecordPrivate(typ, actor, subject string, at time.Time, payload any, paths ...string) (int64, error) {
	public, private, err := oversight.Redact(payload, paths...)
	if err != nil {
		return 0, fmt.Errorf("record %s: %w", typ, err)
	}
	if len(private) == 0 {
		return tx.Record(typ, actor, subject, at, public)
	}
	fields, err := canonicalPayload(private)
	if err != nil {
		return 0, fmt.Errorf("record %s: %w", typ, err)
	}
	salt := make([]byte, oversight.PrivateSaltSize)
	rand.Read(salt)
	commitment := oversight.PrivateCommitment(salt, fields)
	public[oversight.PrivateMember] = commitment
	idx, err := tx.Record(typ, actor, subject, at, public)
	if err != nil {
		return 0, err
	}
	if _, err := tx.exec(`INSERT INTO log_private (log_index, commitment, salt, fields) VALUES ($1, $2, $3, $4)`,
		idx, commitment, salt, string(fields)); err != nil {
		return 0, fmt.Errorf("record %s: keep what it withholds: %w", typ, err)
	}
	return idx, nil
}

// Disclosure returns what the event at index withheld from the public
// log, ENOTFOUND if it withheld nothing (or it was erased).
func (tx *Tx) Disclosure(index int64) (*oversight.Disclosure, error) {
	var (
		d      = oversight.Disclosure{Index: index}
		salt   []byte
		fields string
	)
	err := tx.queryRow(`SELECT commitment, salt, fields FROM log_private WHERE log_index = $1`, index).Scan(&d.Commitment, &salt, &fields)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, oversight.NotFound("withheld data of log entry", fmt.Sprint(index))
	}
	if err != nil {
		return nil, fmt.Errorf("read what entry %d withheld: %w", index, err)
	}
	d.Salt, d.Fields = hex.EncodeToString(salt), json.RawMessage(fields)
	return &d, nil
}

// canonicalPayload returns the RFC 8785 canonical JSON of payload. A
// payload that writes its own canonical form (oversight.CanonicalMarshaler)
// skips the generic path, which parses the JSON again: the hot path's
// events, recorded by the single writer, do.
func canonicalPayload(payload any) ([]byte, error) {
	if c, ok := payload.(oversight.CanonicalMarshaler); ok {
		return c.AppendCanonicalJSON(nil), nil
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	if raw, err = jcs.Transform(raw); err != nil {
		return nil, fmt.Errorf("canonicalise: %w", err)
	}
	return raw, nil
}

// NextIndex returns the log index the next Record will take, so that a
// resource can carry the index of its own creation event in that event.
func (tx *Tx) NextIndex() int64 { return tx.log.nextIndex() }

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

// LastEvent returns the latest event of type typ about subject, or nil
// when there is none: the index on (subject, idx) is read backwards.
func (tx *Tx) LastEvent(subject, typ string) (*oversight.Event, error) {
	var entry []byte
	err := tx.queryRow(`SELECT entry FROM events WHERE subject = $1 AND type = $2 ORDER BY idx DESC LIMIT 1`, subject, typ).Scan(&entry)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("last %s of %s: %w", typ, subject, err)
	}
	return decodeEvent(entry)
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
