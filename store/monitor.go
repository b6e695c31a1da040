package store

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
)

// MonitorCursor returns the log index up to which the monitor named name
// has read (-1 before the first) and the holder of its lease until when.
func (tx *Tx) MonitorCursor(name string) (idx int64, holder string, until time.Time, err error) {
	var us int64
	err = tx.queryRow(`SELECT idx, holder, lease_until FROM monitor_cursor WHERE name = $1`, name).Scan(&idx, &holder, &us)
	if err != nil {
		return 0, "", time.Time{}, fmt.Errorf("read monitor cursor %s: %w", name, err)
	}
	return idx, holder, time.UnixMicro(us), nil
}

// ClaimMonitor gives the lease of the monitor named name to holder until
// until, if holder holds it already or it expired at now, and reports
// whether it did.
func (tx *Tx) ClaimMonitor(name, holder string, now, until time.Time) (bool, error) {
	res, err := tx.exec(`UPDATE monitor_cursor SET holder = $2, lease_until = $3 WHERE name = $1 AND (holder = $2 OR lease_until < $4)`,
		name, holder, until.UnixMicro(), now.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("claim monitor %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// AdvanceMonitor moves the cursor of the monitor named name from from to
// to, and reports false, changing nothing, if it is no longer at from:
// another replica read those decisions.
func (tx *Tx) AdvanceMonitor(name string, from, to int64) (bool, error) {
	res, err := tx.exec(`UPDATE monitor_cursor SET idx = $3 WHERE name = $1 AND idx = $2`, name, from, to)
	if err != nil {
		return false, fmt.Errorf("advance monitor %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Decided is a decided operation as the misuse rules read it: the index
// of its operation.decided event and its columns, never its document.
type Decided struct {
	Index                       int64
	ID, LicenseID, DeploymentID string
	Decision                    oversight.Verdict
	DecidedAt                   time.Time
	Marks                       uint8 // what the rules noted as it was decided (CreateOperation)
}

// decidedColumns are the columns of a Decided, from events e joined with
// operations o.
const decidedColumns = `SELECT e.idx, o.id, o.license_id, o.deployment_id, o.decision, e.time, o.marks
	FROM events e JOIN operations o ON o.id = e.subject`

// Decisions returns at most limit decisions whose operation.decided
// events come after index after, in log order.
func (tx *Tx) Decisions(after int64, limit int) ([]Decided, error) {
	out, err := tx.decisions(decidedColumns+` WHERE e.idx > $1 AND e.type = $2 ORDER BY e.idx LIMIT $3`, time.Time{},
		after, oversight.EventOperationDecided, limit)
	if err != nil {
		return nil, fmt.Errorf("read decisions after %d: %w", after, err)
	}
	return out, nil
}

// DecisionsSince returns the decisions recorded at or after since and at
// or before index upTo, in log order: the history a monitor replays to
// fill its windows. It reads back from upTo and stops at the first
// decision before since (the log's times rise with its index, give or
// take the replicas' clocks), so that it reads the window, not the log.
func (tx *Tx) DecisionsSince(since time.Time, upTo int64) ([]Decided, error) {
	out, err := tx.decisions(decidedColumns+` WHERE e.idx <= $1 AND e.type = $2 ORDER BY e.idx DESC`, since,
		upTo, oversight.EventOperationDecided)
	if err != nil {
		return nil, fmt.Errorf("read decisions since %s: %w", since, err)
	}
	slices.Reverse(out)
	return out, nil
}

// decisions reads the rows of a query of decidedColumns, stopping at the
// first decided before since.
func (tx *Tx) decisions(query string, since time.Time, args ...any) ([]Decided, error) {
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Decided
	for rows.Next() {
		var (
			d  Decided
			us int64
		)
		if err := rows.Scan(&d.Index, &d.ID, &d.LicenseID, &d.DeploymentID, &d.Decision, &us, &d.Marks); err != nil {
			return nil, err
		}
		d.DecidedAt = time.UnixMicro(us).UTC()
		if d.DecidedAt.Before(since) {
			return out, nil
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// OperationsByID returns the operations with the given ids, by id.
func (tx *Tx) OperationsByID(ids []string) (map[string]*oversight.OperationRecord, error) {
	out := make(map[string]*oversight.OperationRecord, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, id := range chunk {
			ph[i] = fmt.Sprintf("$%d", i+1)
			args[i] = id
		}
		ops, _, err := listDocs(tx, "operations", oversight.Page{Limit: 1000}, func(o *oversight.OperationRecord) string { return o.ID },
			`SELECT doc FROM operations WHERE id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, err
		}
		for i := range ops {
			out[ops[i].ID] = &ops[i]
		}
	}
	return out, nil
}
