package demo_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/demo"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store/storetest"
	"github.com/oversight-dev/oversight/tlog"
)

// The public log names no one (issue 12 point 4): in the demo's world,
// with what the demo lacks added (a misuse case whose vendor's owners,
// executives and their relatives are designated with an involved person,
// a designation by hand, one from a public list, a delisting, a
// screening), no entry carries the name, an alias or the birth date of a
// vendor's person or relative, of a designated person, of a user or of a
// declaration's signatory. Each entry that withholds them carries a
// commitment an official can check with the salt and fields the server
// kept; erasing those leaves every entry and the tree as they were.
func TestPublicLogNamesNoOne(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, "sqlite")
	st := storetest.OpenDSN(t, dsn)
	svc, err := service.New(ctx, st, service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := demo.Load(ctx, svc, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	as := map[string]*oversight.Principal{}
	for _, tok := range tokens {
		if as[tok.Env], err = svc.Authenticate(ctx, tok.Secret); err != nil {
			t.Fatal(err)
		}
	}
	admin, defense, foreign, consular := as["ADMIN"], as["DEFENSE"], as["FOREIGN"], as["CONSULAR"]

	// What the demo lacks: designations of every kind, a delisting, a
	// screening.
	revoked, err := svc.Licenses(ctx, admin, oversight.LicenseFilter{Status: oversight.LicenseRevoked}, oversight.Page{Limit: 1})
	if err != nil || len(revoked.Items) == 0 {
		t.Fatalf("the demo's revoked licence: %v", err)
	}
	c, err := svc.OpenCase(ctx, defense, &oversight.CaseRequest{Source: oversight.SourceComplaint, LicenseID: revoked.Items[0].ID, Title: "Use against an opposition politician"})
	if err != nil {
		t.Fatal(err)
	}
	findings := "The politician's phone was targeted under the licence."
	for _, st := range []oversight.CaseStatus{oversight.CaseInvestigating, oversight.CaseSubstantiated} {
		if _, err := svc.UpdateCase(ctx, defense, c.ID, &oversight.CaseUpdate{Status: st, Findings: &findings}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.DesignateFromCase(ctx, foreign, c.ID, &oversight.CaseDesignationRequest{Persons: []oversight.InvolvedPerson{{
		Identity:  oversight.Identity{Name: "Amir Rosenthal", Aliases: []string{"A. Rosenthal"}, BirthDate: "1980-02-03", Nationality: "IL"},
		Relatives: []oversight.Relative{{Identity: oversight.Identity{Name: "Yael Rosenthal", BirthDate: "1982-07-21"}, Relation: oversight.RelationSpouse}},
	}}}); err != nil {
		t.Fatal(err)
	}
	byHand, err := svc.CreateDesignation(ctx, defense, &oversight.DesignationRequest{Identity: oversight.Identity{Name: "Boris Kaltenbrunner", BirthDate: "1969-12-24", Nationality: "AT"}, Basis: oversight.BasisFinancialGain})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportDesignations(ctx, defense, &oversight.DesignationImport{Designations: []oversight.Designation{
		{Identity: oversight.Identity{Name: "Petra Vasquez-Lindqvist", Aliases: []string{"Petra Lindqvist"}, BirthDate: "1975-05-05"}, Basis: oversight.BasisSanctionsList, Source: "ofac-sdn:99001", Program: "CYBER2"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DelistDesignation(ctx, defense, byHand.ID, &oversight.DelistRequest{Reason: "court ruling"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Screen(ctx, consular, &oversight.ScreenRequest{Name: "Amir Rosenthal", BirthDate: "1980-02-03"}); err != nil {
		t.Fatal(err)
	}

	// Every personal datum on record, read back from the records.
	var names, dates []string
	person := func(name string, aliases []string, birth string) {
		names = append(names, name)
		names = append(names, aliases...)
		if birth != "" {
			dates = append(dates, birth)
		}
	}
	vendors, err := svc.Vendors(ctx, admin, oversight.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vendors.Items {
		for _, p := range v.Persons {
			person(p.Name, p.Aliases, p.BirthDate)
			for _, r := range p.Relatives {
				person(r.Name, r.Aliases, r.BirthDate)
			}
		}
	}
	users, err := svc.Users(ctx, admin, "", oversight.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users.Items {
		person(u.Name, nil, "")
	}
	designations, err := svc.Designations(ctx, admin, oversight.DesignationFilter{}, oversight.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range designations.Items {
		person(d.Name, d.Aliases, d.BirthDate)
	}
	declarations, err := svc.Declarations(ctx, admin, "", oversight.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range declarations.Items {
		person(d.Signatory.Name, nil, "")
	}
	if len(designations.Items) < 9 || len(declarations.Items) == 0 || len(users.Items) < 8 {
		t.Fatalf("the world is too small to tell: %d designations, %d declarations, %d users", len(designations.Items), len(declarations.Items), len(users.Items))
	}

	// No entry names anyone; a year alone counts as a birth date where it
	// is a JSON string of its own.
	head := st.LogHead()
	withheld := 0
	for i := range head.Size {
		e, err := svc.LogEntry(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		text := string(e.Entry)
		for _, n := range names {
			if strings.Contains(text, n) {
				t.Errorf("entry %d names %q: %s", i, n, text)
			}
		}
		for _, d := range dates {
			if strings.Contains(text, `"`+d+`"`) || (len(d) > 4 && strings.Contains(text, d)) {
				t.Errorf("entry %d carries the birth date %q: %s", i, d, text)
			}
		}
		var ev oversight.Event
		if err := json.Unmarshal(e.Entry, &ev); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if !bytes.Contains(ev.Payload, []byte(`"`+oversight.PrivateMember+`":`)) {
			continue
		}
		// What it withheld, checked against it as an auditor would.
		withheld++
		d, err := svc.Disclosure(ctx, admin, i)
		if err != nil {
			t.Fatalf("entry %d (%s) withholds something the server did not keep: %v", i, ev.Type, err)
		}
		if err := d.Verify(&ev); err != nil {
			t.Errorf("entry %d (%s): %v", i, ev.Type, err)
		}
	}
	// Vendors, users, declarations, approvals, designations.
	if withheld < len(vendors.Items)+len(users.Items)+len(declarations.Items)+len(designations.Items) {
		t.Errorf("%d entries withhold personal data; want at least one per vendor, user, declaration and designation", withheld)
	}
	// Nobody reads it but officials.
	if _, err := svc.Disclosure(ctx, as["VENDOR"], 0); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
		t.Errorf("a vendor reads what the log withholds: %v", err)
	}
	if _, err := svc.Disclosure(ctx, consular, 0); oversight.ErrorCode(err) != oversight.EFORBIDDEN {
		t.Errorf("a consular officer reads what the log withholds: %v", err)
	}

	// Erasing what was withheld leaves the log whole: the same entries,
	// whose tree has the root the log signs.
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM log_private`); err != nil {
		t.Fatal(err)
	}
	t0 := tlog.NewTree()
	tree := t0.Begin()
	for i := range head.Size {
		e, err := svc.LogEntry(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tree.AppendEntry(e.Entry); err != nil {
			t.Fatal(err)
		}
	}
	tree.Commit()
	if got := st.LogHead(); got != head || t0.Size() != head.Size || t0.Root() != head.Root {
		t.Errorf("after erasing: head %d %s, the entries' tree %d %s; want %d %s", got.Size, got.Root, t0.Size(), t0.Root(), head.Size, head.Root)
	}
	if _, err := svc.Disclosure(ctx, admin, 1); oversight.ErrorCode(err) != oversight.ENOTFOUND {
		t.Errorf("disclosure after erasing: %v, want not found", err)
	}
}
