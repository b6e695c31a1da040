package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/screen"
	"github.com/oversight-dev/oversight/store"
)

// VisaScreening is the service's aggregate of designations and visa
// screening: designating people (one by one, from a misuse case, or a
// list imported), delisting them, and screening names against them with the
// record of screenings. Service embeds it, so its methods are the Service's;
// it shares the Service's store, clock and screening index.
type VisaScreening struct{ s *Service }

// designationEvent is the payload of the designation.listed, .updated and
// .delisted events. Visa designations are not published: the public log
// says that a designation of a basis was made, changed or lifted, on which
// case or list entry, never whom it names or why (no free text), and
// carries a commitment to the name, aliases, birth date and nationality
// (oversight.PersonalDesignation), withheld.
type designationEvent struct {
	oversight.Identity
	Basis      oversight.Basis    `json:"basis"`
	RelatedTo  string             `json:"related_to,omitempty"`
	Relation   oversight.Relation `json:"relation,omitempty"`
	CaseID     string             `json:"case_id,omitempty"`
	Source     string             `json:"source,omitempty"`
	Program    string             `json:"program,omitempty"`
	ListedAt   time.Time          `json:"listed_at"`
	DelistedAt *time.Time         `json:"delisted_at,omitempty"`
	Relisted   bool               `json:"relisted,omitempty"`
}

// recordDesignation appends the event of type typ about d and returns its
// log index.
func (vs *VisaScreening) recordDesignation(tx *store.Tx, typ, actor string, d *oversight.Designation, relisted bool) (int64, error) {
	s := vs.s
	return tx.RecordPrivate(typ, actor, d.ID, s.clock(), designationEvent{
		Identity: d.Identity,
		Basis:    d.Basis, RelatedTo: d.RelatedTo, Relation: d.Relation, CaseID: d.CaseID,
		Source: publicSource(d.Source), Program: d.Program, ListedAt: d.ListedAt, DelistedAt: d.DelistedAt, Relisted: relisted,
	}, oversight.PersonalDesignation...)
}

// publicSource is the source shown in the public log: a list entry or a
// vendor's person id, not the digest of a name that a case-derived source
// holds (see caseSource).
func publicSource(src string) string {
	if strings.HasPrefix(src, "case:") {
		return ""
	}
	return src
}

// CreateDesignation designates a person (POST /v1/designations). An
// immediate relative must name a designated person who is not a relative
// himself; a case id must name a case, which is then linked to the
// designation.
func (vs *VisaScreening) CreateDesignation(ctx context.Context, p *oversight.Principal, r *oversight.DesignationRequest) (*oversight.Designation, error) {
	s := vs.s
	if err := allow(p, oversight.TaskDesignate); err != nil {
		return nil, err
	}
	d := r.Designation()
	tidyDesignation(&d)
	if err := d.Validate(); err != nil {
		return nil, err
	}
	d.ID = oversight.NewID(oversight.PrefixDesignation)
	d.ListedAt = s.clock()
	err := s.update(ctx, func(tx *store.Tx) error {
		ib := s.indexAfter(tx)
		if err := checkRelated(tx, &d, nil); err != nil {
			return err
		}
		if d.CaseID != "" {
			if _, err := tx.Case(d.CaseID); oversight.ErrorCode(err) == oversight.ENOTFOUND {
				return oversight.Invalid("invalid designation", "case_id", "no case %s", d.CaseID)
			} else if err != nil {
				return err
			}
		}
		if err := s.listDesignation(tx, ib, p.Actor(), &d); err != nil {
			return err
		}
		if d.CaseID != "" {
			return linkCase(tx, p.Actor(), d.CaseID, []string{d.ID}, s.clock())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("designate: %w", err)
	}
	s.rescreenAfterChange(ctx)
	return &d, nil
}

// listDesignation records a new designation and its event in tx, and puts
// it in the screening index once tx commits.
func (vs *VisaScreening) listDesignation(tx *store.Tx, ib *indexBatch, actor string, d *oversight.Designation) error {
	s := vs.s
	d.LogIndex = tx.NextIndex()
	idx, err := s.recordDesignation(tx, oversight.EventDesignationListed, actor, d, false)
	if err != nil {
		return err
	}
	if err := tx.CreateDesignation(d, idx); err != nil {
		return err
	}
	ib.add(d)
	return nil
}

// changeDesignation records a change to d with an event of type typ.
func (vs *VisaScreening) changeDesignation(tx *store.Tx, ib *indexBatch, actor, typ string, d *oversight.Designation, relisted bool) error {
	s := vs.s
	idx, err := s.recordDesignation(tx, typ, actor, d, relisted)
	if err != nil {
		return err
	}
	if err := tx.UpdateDesignation(d, idx); err != nil {
		return err
	}
	ib.add(d)
	return nil
}

// checkRelated checks that an immediate relative's designated person
// exists (in the store, or among pending, designations being made in the
// same request) and is not a relative himself: the policy reaches the
// immediate family of the people involved, not relatives of relatives.
func checkRelated(tx *store.Tx, d *oversight.Designation, pending map[string]*oversight.Designation) error {
	if d.RelatedTo == "" {
		return nil
	}
	rel, ok := pending[d.RelatedTo]
	if !ok {
		var err error
		rel, err = tx.Designation(d.RelatedTo)
		if oversight.ErrorCode(err) == oversight.ENOTFOUND {
			return oversight.Invalid("invalid designation", "related_to", "no designation %s", d.RelatedTo)
		}
		if err != nil {
			return err
		}
	}
	if rel.Basis == oversight.BasisImmediateRelative {
		return oversight.Invalid("invalid designation", "related_to", "%s is itself an immediate relative (of %s); name the person designated for misuse or financial gain", rel.ID, rel.RelatedTo)
	}
	return nil
}

// linkCase adds designation ids to a case's linked designations, with a
// case.updated event naming those newly linked.
func linkCase(tx *store.Tx, actor, caseID string, ids []string, now time.Time) error {
	c, err := tx.Case(caseID)
	if err != nil {
		return err
	}
	var added []string
	for _, id := range ids {
		if !slices.Contains(c.DesignationIDs, id) {
			c.DesignationIDs = append(c.DesignationIDs, id)
			added = append(added, id)
		}
	}
	if len(added) == 0 {
		return nil
	}
	c.UpdatedAt = now
	if _, err := tx.Record(oversight.EventCaseUpdated, actor, c.ID, now, caseUpdated{Status: c.Status, DesignationsLink: added}); err != nil {
		return err
	}
	return tx.UpdateCase(c)
}

// tidyDesignation tidies the identity (Identity.Tidy) and the times.
func tidyDesignation(d *oversight.Designation) {
	d.Tidy()
	d.ListedAt = d.ListedAt.UTC().Truncate(time.Microsecond)
	if d.DelistedAt != nil {
		t := d.DelistedAt.UTC().Truncate(time.Microsecond)
		d.DelistedAt = &t
	}
}

// Designation returns a designation (officials and consular officers).
func (vs *VisaScreening) Designation(ctx context.Context, p *oversight.Principal, id string) (*oversight.Designation, error) {
	s := vs.s
	if err := allow(p, oversight.TaskDesignationRead); err != nil {
		return nil, err
	}
	var d *oversight.Designation
	err := s.view(ctx, func(tx *store.Tx) (err error) { d, err = tx.Designation(id); return err })
	return d, err
}

// Designations lists designations, newest first.
func (vs *VisaScreening) Designations(ctx context.Context, p *oversight.Principal, f oversight.DesignationFilter, page oversight.Page) (*oversight.List[oversight.Designation], error) {
	s := vs.s
	if err := allow(p, oversight.TaskDesignationRead); err != nil {
		return nil, err
	}
	var pr oversight.Problems
	if f.Basis != "" && !f.Basis.Valid() {
		pr.Add("basis", "must be misuse, financial_gain or immediate_relative")
	}
	if f.Status != "" && f.Status != "active" && f.Status != "delisted" {
		pr.Add("status", "must be active or delisted")
	}
	if err := pr.Err("invalid query"); err != nil {
		return nil, err
	}
	out := &oversight.List[oversight.Designation]{}
	err := s.view(ctx, func(tx *store.Tx) (err error) {
		out.Items, out.Next, err = tx.Designations(f, page)
		return err
	})
	return out, err
}

// DelistDesignation lifts a designation (POST /v1/designations/{id}/delist).
// The designation stays, with its delisting time and reason, and the
// designation.delisted event joins its history in the log; screening no
// longer matches it unless asked to include delisted entries. The active
// immediate relatives designated because of the person are delisted with
// it, each with an event of its own: their designation rests on his.
func (vs *VisaScreening) DelistDesignation(ctx context.Context, p *oversight.Principal, id string, r *oversight.DelistRequest) (*oversight.Designation, error) {
	s := vs.s
	if err := allow(p, oversight.TaskDesignationDelist); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now := s.clock()
	var d *oversight.Designation
	err := s.update(ctx, func(tx *store.Tx) (err error) {
		ib := s.indexAfter(tx)
		if d, err = tx.Designation(id); err != nil {
			return err
		}
		if d.DelistedAt != nil {
			return oversight.Conflictf("delisted", "designation %s was delisted on %s", id, d.DelistedAt.Format(time.RFC3339))
		}
		d.DelistedAt, d.DelistReason = &now, strings.TrimSpace(r.Reason)
		if err := s.changeDesignation(tx, ib, p.Actor(), oversight.EventDesignationDelisted, d, false); err != nil {
			return err
		}
		page := oversight.Page{Limit: 1000}
		for {
			rels, next, err := tx.Designations(oversight.DesignationFilter{RelatedTo: id, Status: "active"}, page)
			if err != nil {
				return err
			}
			for i := range rels {
				rel := &rels[i]
				rel.DelistedAt, rel.DelistReason = &now, fmt.Sprintf("%s of %s, delisted: %s", rel.Relation, id, d.DelistReason)
				if err := s.changeDesignation(tx, ib, p.Actor(), oversight.EventDesignationDelisted, rel, false); err != nil {
					return err
				}
			}
			if next == "" {
				return nil
			}
			page.After = next
		}
	})
	if err != nil {
		return nil, fmt.Errorf("delist %s: %w", id, err)
	}
	return d, nil
}

// ImportDesignations loads one chunk of a designation list
// (POST /v1/designations:import) in one transaction, so that a list is
// imported a chunk per commit (oversight designations import sends 500
// designations a request). A designation with a Source updates the one
// imported from that source before, keeping its id; one with an id only
// updates that designation; any other is added with a new id. Importing
// the same chunk again changes nothing. Fields a list does not carry are
// kept: the listing time, the case, and a delisting made here (an import
// can delist, by giving delisted_at, but not relist). Each designation
// added, changed or delisted gets its own event.
func (vs *VisaScreening) ImportDesignations(ctx context.Context, p *oversight.Principal, r *oversight.DesignationImport) (*oversight.ImportResult, error) {
	s := vs.s
	if err := allow(p, oversight.TaskDesignationImport); err != nil {
		return nil, err
	}
	for i := range r.Designations {
		tidyDesignation(&r.Designations[i])
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now := s.clock()
	var out *oversight.ImportResult
	err := s.update(ctx, func(tx *store.Tx) error {
		ib := s.indexAfter(tx)
		out = &oversight.ImportResult{Items: make([]oversight.ImportItem, len(r.Designations))}
		var sources, ids []string
		for _, d := range r.Designations {
			if d.Source != "" {
				sources = append(sources, d.Source)
			}
			if d.ID != "" {
				ids = append(ids, d.ID)
			}
		}
		bySource, err := tx.DesignationsBySource(sources)
		if err != nil {
			return err
		}
		byID, err := tx.DesignationsByID(ids)
		if err != nil {
			return err
		}
		type change struct {
			d   oversight.Designation
			cur *oversight.Designation
		}
		changes := make([]change, len(r.Designations))
		pending := map[string]*oversight.Designation{}
		for i, d := range r.Designations {
			f := fmt.Sprintf("designations[%d]", i)
			cur := bySource[d.Source]
			switch {
			case cur != nil && d.ID != "" && d.ID != cur.ID:
				return oversight.Invalid("invalid import", f+".id", "source %s is designation %s, not %s", d.Source, cur.ID, d.ID)
			case cur == nil && d.ID != "":
				cur = byID[d.ID]
				if cur != nil && cur.Source != "" && d.Source != "" && cur.Source != d.Source {
					return oversight.Invalid("invalid import", f+".source", "designation %s was imported from %s, not %s", d.ID, cur.Source, d.Source)
				}
			}
			if cur == nil {
				if d.ID == "" {
					d.ID = oversight.NewID(oversight.PrefixDesignation)
				}
				if d.ListedAt.IsZero() {
					d.ListedAt = now
				}
			} else {
				d = mergeImported(d, cur)
			}
			changes[i] = change{d: d, cur: cur}
			pending[d.ID] = &changes[i].d
		}
		for i := range changes {
			c := &changes[i]
			if err := checkRelated(tx, &c.d, pending); err != nil {
				if de, ok := err.(*oversight.Error); ok && len(de.Fields) == 1 {
					de.Fields[0].Field = fmt.Sprintf("designations[%d].%s", i, de.Fields[0].Field)
				}
				return err
			}
			item := oversight.ImportItem{ID: c.d.ID, Source: c.d.Source}
			switch {
			case c.cur == nil:
				item.Status = oversight.ImportAdded
				out.Added++
				err = s.listDesignation(tx, ib, p.Actor(), &c.d)
			case sameDesignation(&c.d, c.cur):
				item.Status = oversight.ImportUnchanged
				out.Unchanged++
			default:
				item.Status = oversight.ImportUpdated
				out.Updated++
				typ, relisted := oversight.EventDesignationUpdated, false
				switch {
				case c.cur.DelistedAt == nil && c.d.DelistedAt != nil:
					typ = oversight.EventDesignationDelisted
				case c.cur.DelistedAt != nil && c.d.DelistedAt == nil:
					// Back in a later version of its list.
					typ, relisted = oversight.EventDesignationListed, true
				}
				err = s.changeDesignation(tx, ib, p.Actor(), typ, &c.d, relisted)
			}
			if err != nil {
				return err
			}
			out.Items[i] = item
		}
		if v := r.DelistMissing; v != nil {
			return s.delistMissing(tx, ib, p.Actor(), v, now, out)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("import designations: %w", err)
	}
	if !r.More {
		s.rescreenAfterChange(ctx)
	}
	return out, nil
}

// delistMissing delists the active designations imported from the list of
// v that v no longer holds, each with its event: the list's history is
// the designations' history in the log.
func (vs *VisaScreening) delistMissing(tx *store.Tx, ib *indexBatch, actor string, v *oversight.ListVersion, now time.Time, out *oversight.ImportResult) error {
	s := vs.s
	active, err := tx.ActiveListEntries(v.List)
	if err != nil {
		return err
	}
	keep := make(map[string]bool, len(v.Sources))
	for _, src := range v.Sources {
		keep[src] = true
	}
	for _, src := range slices.Sorted(maps.Keys(active)) {
		if keep[src] {
			continue
		}
		d := active[src]
		t := now
		d.DelistedAt, d.DelistReason = &t, oversight.DelistedMissing+v.Version
		if err := s.changeDesignation(tx, ib, actor, oversight.EventDesignationDelisted, d, false); err != nil {
			return err
		}
		out.Delisted++
		out.Items = append(out.Items, oversight.ImportItem{ID: d.ID, Source: d.Source, Status: oversight.ImportDelisted})
	}
	return nil
}

// mergeImported returns the imported d in place of cur: what the list
// says, with cur's id, listing time, case and delisting where the list is
// silent.
func mergeImported(d oversight.Designation, cur *oversight.Designation) oversight.Designation {
	d.ID, d.LogIndex = cur.ID, cur.LogIndex
	if d.Source == "" {
		d.Source = cur.Source
	}
	if d.ListedAt.IsZero() {
		d.ListedAt = cur.ListedAt
	}
	if d.CaseID == "" {
		d.CaseID = cur.CaseID
	}
	// A delisting made here is kept; one made because a version of the
	// list no longer held the entry is lifted when a later one does.
	if d.DelistedAt == nil && !strings.HasPrefix(cur.DelistReason, oversight.DelistedMissing) {
		d.DelistedAt, d.DelistReason = cur.DelistedAt, cur.DelistReason
	}
	return d
}

// sameDesignation reports whether a and b say the same, comparing their
// JSON, which is what is stored.
func sameDesignation(a, b *oversight.Designation) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// DesignateFromCase designates, in one step and one transaction, the
// people a substantiated misuse case reaches (POST
// /v1/cases/{id}/designations; a case not substantiated is a conflict): the
// owners and executives of the vendor of the case's licence, for financial
// gain; the persons the investigation found involved in the misuse, given
// in r, for misuse; and the immediate family members on record of each,
// related to that person's designation with the relation on record. Every
// designation is linked to the case.
//
// It is idempotent: each person has a source naming where the designation
// comes from (the vendor's person id, the relative's place in that
// person's record, or for a person given in r a digest of the normalised
// name and birth date), and a person already designated from that source
// is left as is and reported "existing", whichever case designated him; a
// delisted one is listed again on this case ("relisted"). Calling it twice
// adds nothing the second time.
func (vs *VisaScreening) DesignateFromCase(ctx context.Context, p *oversight.Principal, caseID string, r *oversight.CaseDesignationRequest) (*oversight.CaseDesignations, error) {
	s := vs.s
	if err := allow(p, oversight.TaskDesignateFromCase); err != nil {
		return nil, err
	}
	r.Tidy()
	if err := r.Validate(); err != nil {
		return nil, err
	}
	now := s.clock()
	var out *oversight.CaseDesignations
	err := s.update(ctx, func(tx *store.Tx) error {
		ib := s.indexAfter(tx)
		c, err := tx.Case(caseID)
		if err != nil {
			return err
		}
		if err := c.CheckFollowUp("designations"); err != nil {
			return err
		}
		lic, err := tx.License(c.LicenseID)
		if err != nil {
			return err
		}
		v, err := tx.Vendor(lic.VendorID)
		if err != nil {
			return err
		}
		out = &oversight.CaseDesignations{CaseID: c.ID, Items: []oversight.CaseDesignation{}}
		seen := map[string]int{} // source → index in out.Items
		ensure := func(src string, d oversight.Designation) (*oversight.Designation, error) {
			if i, ok := seen[src]; ok {
				return &out.Items[i].Designation, nil
			}
			d.Source, d.CaseID = src, c.ID
			tidyDesignation(&d)
			if err := d.Validate(); err != nil {
				return nil, err
			}
			item := oversight.CaseDesignation{}
			cur, err := tx.DesignationBySource(src)
			switch {
			case err != nil:
				return nil, err
			case cur == nil:
				d.ID, d.ListedAt = oversight.NewID(oversight.PrefixDesignation), now
				if err := s.listDesignation(tx, ib, p.Actor(), &d); err != nil {
					return nil, err
				}
				item = oversight.CaseDesignation{Status: oversight.DesignationAdded, Designation: d}
				out.Added++
			case cur.DelistedAt != nil:
				cur.DelistedAt, cur.DelistReason, cur.ListedAt, cur.CaseID = nil, "", now, c.ID
				if err := s.changeDesignation(tx, ib, p.Actor(), oversight.EventDesignationListed, cur, true); err != nil {
					return nil, err
				}
				item = oversight.CaseDesignation{Status: oversight.DesignationRelisted, Designation: *cur}
				out.Relisted++
			default:
				item = oversight.CaseDesignation{Status: oversight.DesignationExisting, Designation: *cur}
				out.Existing++
			}
			seen[src] = len(out.Items)
			out.Items = append(out.Items, item)
			return &out.Items[len(out.Items)-1].Designation, nil
		}
		relatives := func(src, ofID string, rels []oversight.Relative, key func(int, oversight.Relative) string) error {
			for j, rel := range rels {
				_, err := ensure(src+"/relative:"+key(j, rel), oversight.Designation{
					Identity: rel.Identity.Clone(), Basis: oversight.BasisImmediateRelative, RelatedTo: ofID, Relation: rel.Relation,
				})
				if err != nil {
					return err
				}
			}
			return nil
		}
		for i, per := range v.Persons {
			if per.Role != oversight.PersonOwner && per.Role != oversight.PersonExecutive {
				continue
			}
			pid := per.ID
			if pid == "" {
				pid = fmt.Sprint(i)
			}
			src := "vendor:" + v.ID + "/person:" + pid
			role := string(per.Role)
			if per.Title != "" {
				role = per.Title
			}
			d, err := ensure(src, oversight.Designation{
				Identity: per.Identity.Clone(), Basis: oversight.BasisFinancialGain, Remarks: fmt.Sprintf("%s of %s (%s)", role, v.Name, v.ID),
			})
			if err != nil {
				return err
			}
			// A relative on record is keyed by its place in the person's
			// record, which the registry does not reorder.
			if err := relatives(src, d.ID, per.Relatives, func(j int, _ oversight.Relative) string { return fmt.Sprint(j) }); err != nil {
				return err
			}
		}
		for _, per := range r.Persons {
			src := caseSource(c.ID, per.Name, per.BirthDate)
			d, err := ensure(src, oversight.Designation{Identity: per.Identity.Clone(), Basis: oversight.BasisMisuse})
			if err != nil {
				return err
			}
			if err := relatives(src, d.ID, per.Relatives, func(_ int, rel oversight.Relative) string {
				return string(rel.Relation) + ":" + nameKey(rel.Name, rel.BirthDate)
			}); err != nil {
				return err
			}
		}
		ids := make([]string, len(out.Items))
		for i, it := range out.Items {
			ids[i] = it.Designation.ID
		}
		return linkCase(tx, p.Actor(), c.ID, ids, now)
	})
	if err != nil {
		return nil, fmt.Errorf("designate from case %s: %w", caseID, err)
	}
	if out.Added+out.Relisted > 0 {
		s.rescreenAfterChange(ctx)
	}
	return out, nil
}

// caseSource is the source of a person designated for misuse on a case:
// the case and a digest of the person's normalised name and birth date,
// so that naming the same person again, in any spelling the normaliser
// folds together, finds the same designation. It is kept out of the
// public log (see publicSource): a plain digest of a name can be tested
// against guesses.
func caseSource(caseID, name, birthDate string) string {
	return "case:" + caseID + "/person:" + nameKey(name, birthDate)
}

func nameKey(name, birthDate string) string {
	h := sha256.New()
	h.Write([]byte(canonicalName(name)))
	h.Write([]byte{0})
	h.Write([]byte(birthDate))
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// canonicalName is a name's normalised tokens in sorted order, so that
// "ZAVADSKY, Radomir" and "Radomir Zavadsky" are one name.
func canonicalName(name string) string {
	toks := strings.Fields(screen.Normalize(name))
	slices.Sort(toks)
	return strings.Join(toks, " ")
}
