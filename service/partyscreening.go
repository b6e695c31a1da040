package service

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/screen"
	"github.com/oversight-dev/oversight/store"
)

// Screening in licensing (issue 16 point 4). The parties of a licence (the
// vendor, its owners, executives and directors, the end-user agency, the
// official who signed the agency's declaration) are screened against every
// list and designation when they are recorded, when a licence naming them
// is applied for and when it is approved, and all of them again when a
// list is imported or a designation made. A match at or above the review
// band is recorded once per party and designation (oversight.PartyMatch);
// while one is open or confirmed, no licence naming the party is approved.

// RulePartyListed is the rule code of the cases a re-screening opens: a
// party of an applied or active licence newly matches a designation.
const RulePartyListed = "PARTY-LISTED"

// partyMatched is the payload of a party.matched event. The party's name,
// birth date and nationality are withheld (oversight.PersonalPartyMatch);
// the public log says which registry record's party matched which
// designation, how strongly, and on what occasion.
type partyMatched struct {
	PartyKind     oversight.PartyKind `json:"party_kind"`
	PartyID       string              `json:"party_id"`
	RecordID      string              `json:"record_id"`
	PartyName     string              `json:"party_name"`
	BirthDate     string              `json:"birth_date,omitempty"`
	Nationality   string              `json:"nationality,omitempty"`
	DesignationID string              `json:"designation_id"`
	Score         float64             `json:"score"`
	FoundOn       string              `json:"found_on"`
}

// partyDecided is the payload of party.cleared and party.confirmed: the
// officer's reason is withheld, being free text that may name people.
type partyDecided struct {
	PartyKind     oversight.PartyKind `json:"party_kind"`
	PartyID       string              `json:"party_id"`
	DesignationID string              `json:"designation_id"`
	LicenseID     string              `json:"license_id"`
	Reason        string              `json:"reason"`
}

// vendorParties returns the parties of a vendor: itself and its persons.
func vendorParties(v *oversight.Vendor) []oversight.Party {
	out := []oversight.Party{{Kind: oversight.PartyVendor, ID: v.ID, RecordID: v.ID, Name: v.Name, Country: v.Country}}
	for i, per := range v.Persons {
		pid := per.ID
		if pid == "" {
			pid = fmt.Sprint(i)
		}
		out = append(out, oversight.Party{Kind: oversight.PartyVendorPerson, ID: v.ID + "/" + pid, RecordID: v.ID,
			Name: per.Name, BirthDate: per.BirthDate, Nationality: per.Nationality})
	}
	return out
}

// endUserParty returns an agency as a party.
func endUserParty(e *oversight.EndUser) oversight.Party {
	return oversight.Party{Kind: oversight.PartyEndUser, ID: e.ID, RecordID: e.ID, Name: e.Agency, Country: e.Country}
}

// signatoryParty returns the signatory of a declaration as a party.
func signatoryParty(d *oversight.Declaration) oversight.Party {
	return oversight.Party{Kind: oversight.PartySignatory, ID: d.ID, RecordID: d.ID, Name: d.Signatory.Name}
}

// licenseParties reads the parties of l in tx.
func licenseParties(tx *store.Tx, l *oversight.License) ([]oversight.Party, error) {
	v, err := tx.Vendor(l.VendorID)
	if err != nil {
		return nil, err
	}
	e, err := tx.EndUser(l.EndUserID)
	if err != nil {
		return nil, err
	}
	out := append(vendorParties(v), endUserParty(e))
	if l.DeclarationID != "" {
		d, err := tx.Declaration(l.DeclarationID)
		if err != nil {
			return nil, err
		}
		out = append(out, signatoryParty(d))
	}
	return out, nil
}

// screenParty returns the designations in force at at that party's name
// matches at or above the review band: organisations against entities,
// people against individuals, qualified by country, birth date and
// nationality where the registry has them.
func (lg *Licensing) screenParty(p *oversight.Party, at time.Time) []oversight.Match {
	s := lg.s
	ms, err := s.scr.ix.Screen(screen.Query{Name: p.Name, BirthDate: p.BirthDate, Nationality: p.Nationality,
		Country: p.Country, Type: p.Type(), MinScore: screen.ReviewScore, At: at})
	if err != nil {
		// A name the registry accepted that the matcher cannot read (only
		// punctuation, say) matches nothing; it is logged, not fatal.
		s.log.Warn("screen licensing party", "party", p.ID, "err", err)
		return nil
	}
	return ms
}

// partyQuery is what a party is screened by: parties alike in it get the
// same matches.
type partyQuery struct {
	name, birthDate, nationality, country string
	typ                                   oversight.PartyType
}

func queryOf(p *oversight.Party) partyQuery {
	return partyQuery{p.Name, p.BirthDate, p.Nationality, p.Country, p.Type()}
}

// samePartyQuery reports whether a and b are screened alike.
func samePartyQuery(a, b *oversight.Party) bool { return queryOf(a) == queryOf(b) }

// screenAll screens parties on as many goroutines as there are
// processors and returns each one's matches, in the order of parties.
// Parties screened by the same query are screened once: a minister signs
// every declaration of their state, and one person may own several
// vendors.
func (lg *Licensing) screenAll(parties []oversight.Party, at time.Time) [][]oversight.Match {
	s := lg.s
	first := make(map[partyQuery]int, len(parties)) // query → its index in uniq
	var uniq []int                                  // a party of each query
	of := make([]int, len(parties))
	for i := range parties {
		p := &parties[i]
		k := queryOf(p)
		j, ok := first[k]
		if !ok {
			j = len(uniq)
			first[k] = j
			uniq = append(uniq, i)
		}
		of[i] = j
	}
	found := make([][]oversight.Match, len(uniq))
	inParallel(len(uniq), 64, func(j int) { found[j] = s.screenParty(&parties[uniq[j]], at) })
	out := make([][]oversight.Match, len(parties))
	for i := range parties {
		out[i] = found[of[i]]
	}
	return out
}

// newPartyMatches returns the matches of found (parties[i]'s in found[i])
// whose party and designation have no record yet, as records found on
// occasion on at, and marks them known.
func newPartyMatches(parties []oversight.Party, found [][]oversight.Match, known map[[2]string]bool, on string, at time.Time) []oversight.PartyMatch {
	var out []oversight.PartyMatch
	for i, ms := range found {
		for _, m := range ms {
			k := [2]string{parties[i].ID, m.DesignationID}
			if known[k] {
				continue
			}
			known[k] = true
			out = append(out, oversight.PartyMatch{ID: oversight.NewID(oversight.PrefixPartyMatch), Party: parties[i], Match: m,
				Status: oversight.PartyMatchOpen, FoundOn: on, FoundAt: at})
		}
	}
	return out
}

// recordPartyMatches records ms, new matches, with a party.matched event
// each, in tx.
func (lg *Licensing) recordPartyMatches(tx *store.Tx, actor string, ms []oversight.PartyMatch) error {
	if err := lg.logPartyMatches(tx, actor, ms); err != nil {
		return err
	}
	return tx.CreatePartyMatches(ms)
}

// logPartyMatches appends a party.matched event for each of ms, found (or
// found again) now, and sets their log index.
func (lg *Licensing) logPartyMatches(tx *store.Tx, actor string, ms []oversight.PartyMatch) error {
	for i := range ms {
		m := &ms[i]
		m.LogIndex = tx.NextIndex()
		if _, err := tx.RecordPrivate(oversight.EventPartyMatched, actor, m.ID, m.FoundAt, partyMatched{
			PartyKind: m.Party.Kind, PartyID: m.Party.ID, RecordID: m.Party.RecordID, PartyName: m.Party.Name,
			BirthDate: m.Party.BirthDate, Nationality: m.Party.Nationality,
			DesignationID: m.Match.DesignationID, Score: m.Match.Score, FoundOn: m.FoundOn,
		}, oversight.PersonalPartyMatch...); err != nil {
			return err
		}
	}
	return nil
}

// knownMatches returns the party and designation of the matches recorded
// for the records of parties.
func knownMatches(tx *store.Tx, parties []oversight.Party) (map[[2]string]bool, error) {
	var records []string
	for _, p := range parties {
		if !slices.Contains(records, p.RecordID) {
			records = append(records, p.RecordID)
		}
	}
	ms, err := tx.PartyMatchesOf(records...)
	if err != nil {
		return nil, err
	}
	known := make(map[[2]string]bool, len(ms))
	for _, m := range ms {
		known[[2]string{m.Party.ID, m.Match.DesignationID}] = true
	}
	return known, nil
}

// screenPartiesIn screens parties against the index, brought up to date
// before, and records in tx the matches not recorded before.
func (lg *Licensing) screenPartiesIn(tx *store.Tx, actor, on string, parties []oversight.Party, at time.Time) error {
	s := lg.s
	return s.recordScreened(tx, actor, on, parties, s.screenAll(parties, at), at)
}

// prescreen screens the parties of a record about to be registered, before
// its write transaction: the screening, a few milliseconds of CPU, does
// not hold the store's single writer, which decisions share.
func (lg *Licensing) prescreen(ctx context.Context, parties []oversight.Party, at time.Time) ([][]oversight.Match, error) {
	s := lg.s
	if err := s.catchUp(ctx, s.scr); err != nil {
		return nil, err
	}
	return s.screenAll(parties, at), nil
}

// recordScreened records in tx the matches of parties found (parties[i]'s
// in found[i]) that were not recorded before.
func (lg *Licensing) recordScreened(tx *store.Tx, actor, on string, parties []oversight.Party, found [][]oversight.Match, at time.Time) error {
	s := lg.s
	known, err := knownMatches(tx, parties)
	if err != nil {
		return err
	}
	return s.recordPartyMatches(tx, actor, newPartyMatches(parties, found, known, on, at))
}

// screenLicense screens the parties of licence id against the designations
// in force now and records what is new, in a transaction of its own: the
// matches stay recorded whatever becomes of the request that screened.
func (lg *Licensing) screenLicense(ctx context.Context, actor, on, id string) error {
	s := lg.s
	if err := s.catchUp(ctx, s.scr); err != nil {
		return err
	}
	return s.update(ctx, func(tx *store.Tx) error {
		l, err := tx.License(id)
		if err != nil {
			return err
		}
		parties, err := licenseParties(tx, l)
		if err != nil {
			return err
		}
		return s.screenPartiesIn(tx, actor, on, parties, s.clock())
	})
}

// blockingMatch returns a match of l's parties that blocks its approval,
// as a conflict naming it, or nil.
func blockingMatch(tx *store.Tx, l *oversight.License) error {
	ms, err := tx.PartyMatchesOf(l.VendorID, l.EndUserID, l.DeclarationID)
	if err != nil {
		return err
	}
	for i := range ms {
		m := &ms[i]
		if !m.Status.Blocks() {
			continue
		}
		if m.Status == oversight.PartyMatchConfirmed {
			return oversight.Conflictf("party_listed", "licence %s cannot be approved: %s, confirmed by %s (match %s)", l.ID, m.Describe(), m.DecidedBy, m.ID)
		}
		return oversight.Conflictf("party_match", "licence %s cannot be approved: %s (match %s); a licensing officer clears it with a reason or confirms it (POST /v1/licenses/%s/party-matches/%s/clear or …/confirm)",
			l.ID, m.Describe(), m.ID, l.ID, m.ID)
	}
	return nil
}

// LicenseScreening returns the matches of a licence's parties
// (GET /v1/licenses/{id}/party-matches), oldest first, and whether one
// blocks its approval.
func (lg *Licensing) LicenseScreening(ctx context.Context, p *oversight.Principal, id string) (*oversight.LicenseScreening, error) {
	s := lg.s
	if err := allow(p, oversight.TaskPartyMatchRead); err != nil {
		return nil, err
	}
	out := &oversight.LicenseScreening{LicenseID: id}
	err := s.view(ctx, func(tx *store.Tx) error {
		l, err := tx.License(id)
		if err != nil {
			return err
		}
		if out.Matches, err = tx.PartyMatchesOf(l.VendorID, l.EndUserID, l.DeclarationID); err != nil {
			return err
		}
		for _, m := range out.Matches {
			out.Blocked = out.Blocked || m.Status.Blocks()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ClearPartyMatch records an officer's finding that a party is not the
// designated one (POST /v1/licenses/{id}/party-matches/{match}/clear):
// the match no longer blocks any licence naming the party. The reason is
// kept, withheld from the public log behind a commitment.
func (lg *Licensing) ClearPartyMatch(ctx context.Context, p *oversight.Principal, licenseID, matchID string, r *oversight.PartyMatchDecision) (*oversight.PartyMatch, error) {
	s := lg.s
	return s.decidePartyMatch(ctx, p, licenseID, matchID, r, oversight.PartyMatchCleared)
}

// ConfirmPartyMatch records an officer's finding that a party is the
// designated one (POST /v1/licenses/{id}/party-matches/{match}/confirm):
// an applied licence is denied with it, and the match keeps blocking every
// licence naming the party. A licence in force is not changed here: the
// enforcement actions, with their two-person rule, act on it.
func (lg *Licensing) ConfirmPartyMatch(ctx context.Context, p *oversight.Principal, licenseID, matchID string, r *oversight.PartyMatchDecision) (*oversight.PartyMatch, error) {
	s := lg.s
	return s.decidePartyMatch(ctx, p, licenseID, matchID, r, oversight.PartyMatchConfirmed)
}

func (lg *Licensing) decidePartyMatch(ctx context.Context, p *oversight.Principal, licenseID, matchID string, r *oversight.PartyMatchDecision, to oversight.PartyMatchStatus) (*oversight.PartyMatch, error) {
	s := lg.s
	if err := allow(p, oversight.TaskPartyMatchDecide); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var m *oversight.PartyMatch
	err := s.update(ctx, func(tx *store.Tx) (err error) {
		l, err := tx.License(licenseID)
		if err != nil {
			return err
		}
		if m, err = tx.PartyMatch(matchID); err != nil {
			return err
		}
		if rec := m.Party.RecordID; rec != l.VendorID && rec != l.EndUserID && rec != l.DeclarationID {
			return oversight.NotFound("party match", matchID) // not one of this licence's
		}
		if m.Status != oversight.PartyMatchOpen {
			return oversight.Conflictf(string(m.Status), "match %s was %s by %s on %s", m.ID, m.Status, m.DecidedBy, m.DecidedAt.Format(time.RFC3339))
		}
		now := s.clock()
		m.Status, m.Reason, m.DecidedBy, m.DecidedAt, m.LicenseID = to, r.Reason, p.Actor(), &now, l.ID
		typ := oversight.EventPartyCleared
		if to == oversight.PartyMatchConfirmed {
			typ = oversight.EventPartyConfirmed
		}
		m.LogIndex = tx.NextIndex()
		if _, err := tx.RecordPrivate(typ, p.Actor(), m.ID, now, partyDecided{PartyKind: m.Party.Kind, PartyID: m.Party.ID,
			DesignationID: m.Match.DesignationID, LicenseID: l.ID, Reason: r.Reason}, oversight.PersonalPartyMatch...); err != nil {
			return err
		}
		if err := tx.UpdatePartyMatch(m); err != nil {
			return err
		}
		if to != oversight.PartyMatchConfirmed || l.Status != oversight.LicenseApplied {
			return nil
		}
		before := l.Status
		l.Status, l.UpdatedAt = oversight.LicenseDenied, now
		if l.LogIndex, err = s.recordStatus(tx, p.Actor(), l, before, "party match "+m.ID+" confirmed: "+string(m.Party.Kind)+" "+m.Party.ID+" is designation "+m.Match.DesignationID); err != nil {
			return err
		}
		s.changed(tx, l, nil, nil)
		return tx.UpdateLicense(l)
	})
	if err != nil {
		return nil, fmt.Errorf("decide party match %s: %w", matchID, err)
	}
	return m, nil
}

// rescreener runs the re-screenings of the licensing parties one at a
// time, and lets a request that changed designations skip its own when
// one that started after its change has finished meanwhile: concurrent
// imports share re-screenings instead of queueing one each.
type rescreener struct {
	mu      sync.Mutex
	changes atomic.Int64 // designation changes committed, counted
	covered int64        // the changes the last finished re-screening saw
}

// rescreenAfterChange re-screens every party of a live licence after a
// designation change committed, unless a re-screening that started after
// the change has finished. A failure is logged, not returned: the change
// itself stands, and the next re-screening catches up.
func (lg *Licensing) rescreenAfterChange(ctx context.Context) {
	s := lg.s
	want := s.rs.changes.Add(1)
	s.rs.mu.Lock()
	defer s.rs.mu.Unlock()
	if s.rs.covered >= want {
		return
	}
	upTo := s.rs.changes.Load()
	if _, err := s.rescreen(context.WithoutCancel(ctx), "system"); err != nil {
		s.log.Error("re-screen licensing parties", "err", err)
		return
	}
	s.rs.covered = upTo
}

// RescreenParties screens every party of an applied, active or suspended
// licence against the designations in force now and records the new
// matches; each opens or joins the PARTY-LISTED case of every such licence
// naming the party. The service runs it after a designation is made or a
// list imported; it is exported for the benchmark and for operators.
func (lg *Licensing) RescreenParties(ctx context.Context) (*oversight.RescreenResult, error) {
	s := lg.s
	s.rs.mu.Lock()
	defer s.rs.mu.Unlock()
	upTo := s.rs.changes.Load()
	res, err := s.rescreen(ctx, "system")
	if err == nil {
		s.rs.covered = upTo
	}
	return res, err
}

// rescreen is RescreenParties under the rescreener's lock: one read of the
// live licences and their parties, the screening in parallel, and one
// transaction recording the new matches, their events and the cases.
func (lg *Licensing) rescreen(ctx context.Context, actor string) (*oversight.RescreenResult, error) {
	s := lg.s
	if err := s.catchUp(ctx, s.scr); err != nil {
		return nil, err
	}
	var (
		parties  []oversight.Party
		licenses = map[string][]string{} // record id → live licences naming it
		known    = map[[2]string]bool{}
		res      = &oversight.RescreenResult{}
	)
	err := s.view(ctx, func(tx *store.Tx) error {
		err := tx.LiveLicenses("", func(l store.LiveLicense) {
			res.Licenses++
			for _, rec := range []string{l.VendorID, l.EndUserID, l.DeclarationID} {
				if rec != "" {
					licenses[rec] = append(licenses[rec], l.ID)
				}
			}
		})
		if err != nil {
			return err
		}
		err = tx.LiveParties(
			func(v *oversight.Vendor) { parties = append(parties, vendorParties(v)...) },
			func(e *oversight.EndUser) { parties = append(parties, endUserParty(e)) },
			func(d *oversight.Declaration) { parties = append(parties, signatoryParty(d)) })
		if err != nil {
			return err
		}
		return tx.PartyMatchKeys(func(p, d string) { known[[2]string{p, d}] = true })
	})
	if err != nil {
		return nil, fmt.Errorf("re-screen licensing parties: %w", err)
	}
	res.Parties = len(parties)
	now := s.clock()
	fresh := newPartyMatches(parties, s.screenAll(parties, now), known, oversight.ScreenedRescreen, now)
	res.NewMatches = len(fresh)
	if len(fresh) == 0 {
		return res, nil
	}
	err = s.update(ctx, func(tx *store.Tx) (err error) {
		if err := s.recordPartyMatches(tx, actor, fresh); err != nil {
			return err
		}
		res.Cases, err = s.openPartyCases(tx, actor, fresh, licenses, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("re-screen licensing parties: record: %w", err)
	}
	return res, nil
}

// openPartyCases opens, or joins, the PARTY-LISTED case of every licence
// naming a party of fresh, new matches (licenses: record id → the live
// licences naming it), with an item of evidence per match, and returns
// how many licences' cases it opened or joined. A re-screening and a
// change of a vendor or agency both report their new matches through it.
func (lg *Licensing) openPartyCases(tx *store.Tx, actor string, fresh []oversight.PartyMatch, licenses map[string][]string, now time.Time) (int, error) {
	s := lg.s
	byLicense := map[string][]*oversight.PartyMatch{}
	for i := range fresh {
		for _, lic := range licenses[fresh[i].Party.RecordID] {
			byLicense[lic] = append(byLicense[lic], &fresh[i])
		}
	}
	for _, lic := range slices.Sorted(maps.Keys(byLicense)) {
		g := gathering{LicenseID: lic, Rule: RulePartyListed, Source: oversight.SourceRule,
			Title: fmt.Sprintf("A party of licence %s matches a designation", lic)}
		for _, m := range byLicense[lic] {
			// The evidence names ids, the list and the score, not the
			// party's name: a case's evidence is read by officials,
			// and the match record holds the rest.
			g.Evidence = append(g.Evidence, oversight.Evidence{Kind: "other", Ref: m.ID, AddedBy: actor, AddedAt: now,
				Description: fmt.Sprintf("%s %s matches designation %s (%s) at %.2f; found on %s", m.Party.Kind, m.Party.ID,
					m.Match.DesignationID, m.Match.Provenance, m.Match.Score, occasionWords[m.FoundOn])})
		}
		if _, err := s.gather(tx, actor, g, now); err != nil {
			return 0, err
		}
	}
	return len(byLicense), nil
}

// occasionWords says in words the occasions a case's evidence is found
// on.
var occasionWords = map[string]string{
	oversight.ScreenedRescreen: "re-screening",
	oversight.ScreenedChanged:  "a change of the record",
}

// recordChanged records in tx the new matches of parties, the parties of
// registry record recordID that a change made new or renamed (found by
// prescreen, parties[i]'s in found[i]), as found on a change; each opens
// or joins the PARTY-LISTED case of every applied, active or suspended
// licence naming the record, as a re-screening's do, and holds the
// approval of the applied ones (blockingMatch).
//
// A match an officer cleared for the party as it was is opened again if
// the changed party still matches the designation: the clearance found
// that the party under its old name, country or birth date was not the
// one listed, which says nothing of it under the new ones. A party
// changed back to what was cleared stays cleared.
func (lg *Licensing) recordChanged(tx *store.Tx, actor, recordID string, parties []oversight.Party, found [][]oversight.Match, at time.Time) error {
	s := lg.s
	recorded, err := tx.PartyMatchesOf(recordID)
	if err != nil {
		return err
	}
	known := make(map[[2]string]bool, len(recorded))
	cleared := map[[2]string]*oversight.PartyMatch{}
	for i := range recorded {
		m := &recorded[i]
		k := [2]string{m.Party.ID, m.Match.DesignationID}
		known[k] = true
		if m.Status == oversight.PartyMatchCleared {
			cleared[k] = m
		}
	}
	var reopened []oversight.PartyMatch
	for i, ms := range found {
		for _, m := range ms {
			old := cleared[[2]string{parties[i].ID, m.DesignationID}]
			if old == nil || samePartyQuery(&old.Party, &parties[i]) {
				continue
			}
			old.Party, old.Match, old.Status, old.FoundOn, old.FoundAt = parties[i], m, oversight.PartyMatchOpen, oversight.ScreenedChanged, at
			old.Reason, old.DecidedBy, old.DecidedAt, old.LicenseID = "", "", nil, ""
			reopened = append(reopened, *old)
		}
	}
	if err := s.logPartyMatches(tx, actor, reopened); err != nil {
		return err
	}
	for i := range reopened {
		if err := tx.UpdatePartyMatch(&reopened[i]); err != nil {
			return err
		}
	}
	fresh := newPartyMatches(parties, found, known, oversight.ScreenedChanged, at)
	if err := s.recordPartyMatches(tx, actor, fresh); err != nil {
		return err
	}
	fresh = append(fresh, reopened...)
	if len(fresh) == 0 {
		return nil
	}
	licenses := map[string][]string{}
	if err := tx.LiveLicenses(recordID, func(l store.LiveLicense) { licenses[recordID] = append(licenses[recordID], l.ID) }); err != nil {
		return err
	}
	_, err = s.openPartyCases(tx, actor, fresh, licenses, at)
	return err
}
