package store

import (
	"fmt"
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

// DecisionEvents returns the log index and the operation id of at most
// limit operation.decided events after index after, in log order.
func (tx *Tx) DecisionEvents(after int64, limit int) (idx []int64, ops []string, err error) {
	rows, err := tx.query(`SELECT idx, subject FROM events WHERE idx > $1 AND type = $2 ORDER BY idx LIMIT $3`,
		after, oversight.EventOperationDecided, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("read decisions after %d: %w", after, err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int64
		var id string
		if err := rows.Scan(&i, &id); err != nil {
			return nil, nil, err
		}
		idx, ops = append(idx, i), append(ops, id)
	}
	return idx, ops, rows.Err()
}

// DecisionEventsSince returns the operation ids of the operation.decided
// events recorded at or after since and at or before index upTo, in log
// order: the history a monitor replays to fill its windows.
func (tx *Tx) DecisionEventsSince(since time.Time, upTo int64) ([]string, error) {
	rows, err := tx.query(`SELECT subject FROM events WHERE idx <= $1 AND time >= $2 AND type = $3 ORDER BY idx`,
		upTo, since.UnixMicro(), oversight.EventOperationDecided)
	if err != nil {
		return nil, fmt.Errorf("read decisions since %s: %w", since, err)
	}
	defer rows.Close()
	var ops []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ops = append(ops, id)
	}
	return ops, rows.Err()
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
