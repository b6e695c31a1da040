package store

import (
	"fmt"
	"strings"

	"github.com/oversight-dev/oversight"
)

// CreatePartyMatches inserts ms, a re-screening's new matches, with one
// multi-row statement per 200 (both databases bound a statement's
// parameters): one round trip, not one per match.
func (tx *Tx) CreatePartyMatches(ms []oversight.PartyMatch) error {
	const per = 200
	for len(ms) > 0 {
		n := min(len(ms), per)
		var q strings.Builder
		q.WriteString(`INSERT INTO party_matches (id, party_id, record_id, designation_id, status, doc) VALUES `)
		args := make([]any, 0, 6*n)
		for i := range n {
			m := &ms[i]
			if i > 0 {
				q.WriteString(", ")
			}
			k := 6 * i
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6)
			args = append(args, m.ID, m.Party.ID, m.Party.RecordID, m.Match.DesignationID, string(m.Status), mustJSON(m))
		}
		if _, err := tx.exec(q.String(), args...); err != nil {
			if isUniqueViolation(err) {
				return oversight.Conflictf("matched", "a party match of these parties and designations is already recorded")
			}
			return fmt.Errorf("create party matches: %w", err)
		}
		ms = ms[n:]
	}
	return nil
}

// UpdatePartyMatch writes m.
func (tx *Tx) UpdatePartyMatch(m *oversight.PartyMatch) error {
	return tx.updateDoc("party match", `UPDATE party_matches SET status = $2, doc = $3 WHERE id = $1`, m.ID, string(m.Status), mustJSON(m))
}

// PartyMatch returns the party match with id.
func (tx *Tx) PartyMatch(id string) (*oversight.PartyMatch, error) {
	var m oversight.PartyMatch
	return &m, tx.getDoc("party match", `SELECT doc FROM party_matches WHERE id = $1`, &m, id)
}

// PartyMatchesOf returns the matches of the parties of the registry
// records recordIDs (a licence's vendor, agency and declaration), oldest
// first. Empty ids are skipped.
func (tx *Tx) PartyMatchesOf(recordIDs ...string) ([]oversight.PartyMatch, error) {
	var ph []string
	var args []any
	for _, id := range recordIDs {
		if id != "" {
			args = append(args, id)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
	}
	out := []oversight.PartyMatch{}
	if len(args) == 0 {
		return out, nil
	}
	err := eachDoc(tx, "party matches", `SELECT doc FROM party_matches WHERE record_id IN (`+strings.Join(ph, ", ")+`) ORDER BY id`,
		func(m *oversight.PartyMatch) { out = append(out, *m) }, args...)
	return out, err
}

// PartyMatchKeys calls f with the party and designation of every party
// match recorded: what a re-screening compares its matches with, to
// record only new ones.
func (tx *Tx) PartyMatchKeys(f func(partyID, designationID string)) error {
	rows, err := tx.query(`SELECT party_id, designation_id FROM party_matches`)
	if err != nil {
		return fmt.Errorf("party matches: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p, d string
		if err := rows.Scan(&p, &d); err != nil {
			return fmt.Errorf("party matches: %w", err)
		}
		f(p, d)
	}
	return rows.Err()
}

// LiveLicense is what a re-screening needs of a licence that is applied,
// active or suspended: the records whose parties it names.
type LiveLicense struct {
	ID, VendorID, EndUserID, DeclarationID string
}

// liveStatuses are the statuses of licences whose parties are re-screened:
// pending (applied) and in force (active, suspended).
const liveStatuses = `('applied', 'active', 'suspended')`

// LiveLicenses calls f with every applied, active or suspended licence,
// or, if recordID is set, with those naming that vendor, agency or
// declaration.
func (tx *Tx) LiveLicenses(recordID string, f func(LiveLicense)) error {
	q := `SELECT id, vendor_id, end_user_id, COALESCE(declaration_id, '') FROM licenses WHERE status IN ` + liveStatuses
	var args []any
	if recordID != "" {
		q += ` AND (vendor_id = $1 OR end_user_id = $1 OR declaration_id = $1) ORDER BY id`
		args = append(args, recordID)
	}
	rows, err := tx.query(q, args...)
	if err != nil {
		return fmt.Errorf("live licences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l LiveLicense
		if err := rows.Scan(&l.ID, &l.VendorID, &l.EndUserID, &l.DeclarationID); err != nil {
			return fmt.Errorf("live licences: %w", err)
		}
		f(l)
	}
	return rows.Err()
}

// LiveParties calls the functions with the vendors, agencies and
// declarations named by an applied, active or suspended licence, each
// once: three queries, whatever their number.
func (tx *Tx) LiveParties(vendor func(*oversight.Vendor), endUser func(*oversight.EndUser), declaration func(*oversight.Declaration)) error {
	if err := eachDoc(tx, "vendors", `SELECT doc FROM vendors WHERE id IN (SELECT vendor_id FROM licenses WHERE status IN `+liveStatuses+`) ORDER BY id`, vendor); err != nil {
		return err
	}
	if err := eachDoc(tx, "end users", `SELECT doc FROM end_users WHERE id IN (SELECT end_user_id FROM licenses WHERE status IN `+liveStatuses+`) ORDER BY id`, endUser); err != nil {
		return err
	}
	return eachDoc(tx, "declarations", `SELECT doc FROM declarations WHERE id IN (SELECT declaration_id FROM licenses WHERE status IN `+liveStatuses+`) ORDER BY id`, declaration)
}
