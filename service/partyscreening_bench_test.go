package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/lists"
	"github.com/oversight-dev/oversight/service"
	"github.com/oversight-dev/oversight/store"
	"github.com/oversight-dev/oversight/store/storetest"
)

// Words of the invented registry the re-screening benchmark fills: company
// names from two or three of them and a legal form, people from a given
// name and a surname.
var (
	benchCompanyWords = strings.Fields(`Kestrel Argent Sable Northwind Harbor Meridian Aurora Falcon Granite Summit Vector
		Cobalt Orion Atlas Beacon Cedar Delta Ember Fjord Glacier Helix Ion Juniper Krypton Lumen Nimbus Onyx Pioneer Quartz
		Raven Sierra Titan Umbra Vertex Willow Zenith Signal Systems Analytics Dynamics Networks Labs Security Solutions
		Technologies Research Defence Intelligence Cyber Data Secure Digital Global Advanced Applied`)
	benchForms     = []string{"Ltd", "Limited", "GmbH", "S.A.", "LLC", "SARL", "AG", "BV", "Inc", "JSC"}
	benchGiven     = strings.Fields(`Yoav Dana Avi Noa Tal Rina Omer Maya Eitan Shira Claire Louis Jean Marie Pierre Anne Hans Greta Lukas Sofia Marco Giulia Ivan Olga Pavel Elena Ahmed Fatima Omar Layla Carlos Lucia Diego Ana Kenji Yuki Wei Mei Arjun Priya`)
	benchSurnames  = strings.Fields(`Ben-Ami Shapira Levi Cohen Mizrahi Friedman Dumont Laurent Moreau Bernard Schmidt Weber Fischer Becker Rossi Bianchi Romano Colombo Ivanov Petrova Smirnov Kuznetsova Haddad Khalil Nasser Mansour Garcia Fernandez Lopez Martinez Tanaka Suzuki Chen Wang Sharma Patel Novak Horvat Kowalski Nielsen`)
	benchCountries = []string{"IL", "FR", "DE", "GB", "CY", "IT", "ES", "NL", "AT", "BG"}
)

// rescreenWorld is a registry of live licences whose parties number
// parties (each vendor with two persons and an agency: four parties a
// licence), written straight into the store in a few transactions: the
// benchmark measures the re-screening, not the registration. Every 100th
// vendor is named as an entity of the loaded lists is, its legal form
// changed, so that the re-screening finds matches to record.
func rescreenWorld(b *testing.B, svc *service.Service, parties int, entities []string) {
	b.Helper()
	rng := rand.New(rand.NewPCG(16, 4))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	now := time.Now().UTC().Truncate(time.Microsecond)
	scope := oversight.Scope{Purposes: []oversight.Category{oversight.CategoryTerrorism}, Operations: oversight.Operations,
		MaxActiveOperations: 5, ValidFrom: now, ValidUntil: now.AddDate(1, 0, 0)}
	licences := parties / 4
	for start := 0; start < licences; start += 500 {
		err := svc.Store().Update(context.Background(), func(tx *store.Tx) error {
			for i := start; i < min(start+500, licences); i++ {
				name := pick(benchCompanyWords) + " " + pick(benchCompanyWords) + " " + pick(benchForms)
				if i%100 == 0 && len(entities) > 0 {
					name = entities[rng.IntN(len(entities))] + " Limited"
				}
				v := &oversight.Vendor{ID: oversight.NewID(oversight.PrefixVendor), Name: name, Country: pick(benchCountries), CreatedAt: now}
				for range 2 {
					v.Persons = append(v.Persons, oversight.Person{ID: oversight.NewID(oversight.PrefixPerson), Role: oversight.PersonOwner,
						Identity: oversight.Identity{Name: pick(benchGiven) + " " + pick(benchGiven) + " " + pick(benchSurnames), BirthDate: fmt.Sprint(1950 + rng.IntN(50))}})
				}
				pr := &oversight.Product{ID: oversight.NewID(oversight.PrefixProduct), VendorID: v.ID, Name: "Tool", Capabilities: []string{"locate"},
					ControlEntries: []string{"4.A.5"}, Stage: oversight.StageExportReady, CreatedAt: now}
				eu := &oversight.EndUser{ID: oversight.NewID(oversight.PrefixEndUser), Country: pick(benchCountries),
					Agency: "Directorate of " + pick(benchCompanyWords) + " " + pick(benchCompanyWords), Kind: oversight.KindLawEnforcement, CreatedAt: now}
				l := &oversight.License{ID: oversight.NewID(oversight.PrefixLicense), Kind: oversight.KindMarketing, VendorID: v.ID, ProductID: pr.ID,
					EndUserID: eu.ID, Country: eu.Country, Status: oversight.LicenseActive, Scope: scope, Restrictions: []oversight.Restriction{},
					Approvals: []oversight.Approval{}, CreatedAt: now, UpdatedAt: now}
				for _, err := range []error{tx.CreateVendor(v), tx.CreateProduct(pr), tx.CreateEndUser(eu), tx.CreateLicense(l)} {
					if err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRescreenParties is the licensing re-screening after a list
// import (issue 16 point 5: 10,000 parties in under 10 s): the OFAC SDN
// list (individuals and entities) and the BIS Denied Persons List loaded,
// 10,000 parties of 2,500 active licences, then every party screened
// against every designation in parallel and the new matches, their events
// and the PARTY-LISTED cases written in one transaction. The first
// re-screening records what it finds (first-s); the following ones find
// nothing new (ns/op). PARTIES changes the number of parties.
func BenchmarkRescreenParties(b *testing.B) {
	dir := os.Getenv("SANCTIONS_DIR")
	if dir == "" {
		dir = "../../shared/data/sanctions"
	}
	sdn, err := lists.Load(lists.FormatOFACSDN, filepath.Join(dir, "sdn.csv"), lists.Options{})
	if err != nil {
		b.Skipf("no SDN list: %v (set SANCTIONS_DIR)", err)
	}
	dpl, err := lists.Load(lists.FormatBISDPL, filepath.Join(dir, "bis_dpl_2022.txt"), lists.Options{})
	if err != nil {
		b.Skipf("no DPL: %v", err)
	}
	parties := 10_000
	if n, err := fmt.Sscan(os.Getenv("PARTIES"), &parties); n == 0 || err != nil {
		parties = 10_000
	}
	st := storetest.Open(b, "sqlite")
	svc, err := service.New(b.Context(), st, service.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	off, _, err := svc.CreateUserWithToken(ctx, service.Operator, &oversight.User{Role: oversight.RoleDefense, Name: "Bench officer"}, &oversight.TokenRequest{})
	if err != nil {
		b.Fatal(err)
	}
	var entities []string
	for _, d := range sdn.Designations {
		if d.Type == oversight.PartyEntity && len(strings.Fields(d.Name)) >= 3 && strings.HasSuffix(d.Name, " LLC") {
			entities = append(entities, strings.TrimSuffix(d.Name, " LLC"))
		}
	}
	rescreenWorld(b, svc, parties, entities)
	all := append(sdn.Designations, dpl.Designations...)
	for ds := all; len(ds) > 0; ds = ds[min(500, len(ds)):] {
		// more: the import's own re-screening is the one timed below.
		if _, err := svc.ImportDesignations(ctx, &off.Principal, &oversight.DesignationImport{Designations: ds[:min(500, len(ds))], More: true}); err != nil {
			b.Fatal(err)
		}
	}
	start, cpu := time.Now(), cpuTime()
	first, err := svc.RescreenParties(ctx)
	if err != nil {
		b.Fatal(err)
	}
	firstTook, firstCPU := time.Since(start), cpuTime()-cpu
	if first.Parties != parties || first.NewMatches == 0 {
		b.Fatalf("first re-screening: %+v, want %d parties and some matches", first, parties)
	}
	b.ResetTimer()
	cpu = cpuTime()
	for b.Loop() {
		if _, err := svc.RescreenParties(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(firstTook.Seconds(), "first-s")
	b.ReportMetric(firstCPU.Seconds(), "first-cpu-s")
	b.ReportMetric(float64(first.Parties), "parties")
	b.ReportMetric(float64(first.NewMatches), "new-matches")
	b.ReportMetric(float64(first.Cases), "cases")
	b.ReportMetric(float64(len(all)), "designations")
}

// cpuTime is the CPU time the process has used, user and system: on a
// machine other work shares, the figure that does not depend on it.
func cpuTime() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
