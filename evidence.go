package oversight

import (
	"net/netip"
	"strings"
	"time"
)

// ObservableKind is the kind of infrastructure an indicator names that can
// be matched against what deployments declared (Infrastructure).
type ObservableKind string

// Observable kinds, one per list of Infrastructure.
const (
	ObservableDomain ObservableKind = "domain"
	ObservableIP     ObservableKind = "ip"
	ObservableCert   ObservableKind = "cert_sha256"
	ObservableApp    ObservableKind = "app_id"
)

// Observable is one value an indicator's pattern compares with equality,
// in the canonical form of its kind (NormalizeDomain, NormalizePrefix,
// lower-case hex, the app id as given).
type Observable struct {
	Kind  ObservableKind `json:"kind"`
	Value string         `json:"value"`
	// Path is the STIX object path compared, such as domain-name:value.
	Path string `json:"path"`
}

// Indicator is an indicator of compromise from a forensic report (a STIX
// 2.1 indicator object), reduced to what Oversight can match.
type Indicator struct {
	// ID is the STIX id, such as indicator--05b7c427-….
	ID      string `json:"id"`
	Pattern string `json:"pattern"`
	// Observables are the values of the pattern that name infrastructure;
	// an indicator naming only processes, files or e-mail addresses has
	// none and cannot match a deployment.
	Observables []Observable `json:"observables"`
}

// EvidenceReport is a forensic report imported as a STIX bundle
// (POST /v1/evidence), and what it matched.
type EvidenceReport struct {
	ID string `json:"id"`
	// BundleID is the STIX bundle's id and SHA256 the hex digest of the
	// bytes imported: the same bytes are the same report.
	BundleID string `json:"bundle_id"`
	SHA256   string `json:"sha256"`
	// Malware names the malware objects of the bundle, such as Pegasus.
	Malware []string `json:"malware"`
	// Indicators counts the bundle's indicators, Matchable those naming
	// infrastructure (domains, IP addresses, certificates, app ids).
	Indicators int `json:"indicators"`
	Matchable  int `json:"matchable"`
	// Matches are every match of this import, those found before included;
	// NewMatches counts those this import recorded first.
	Matches    []EvidenceMatch `json:"matches"`
	NewMatches int             `json:"new_matches"`
	// CaseIDs are the cases this import opened or updated.
	CaseIDs    []string  `json:"case_ids"`
	ImportedBy string    `json:"imported_by"`
	ImportedAt time.Time `json:"imported_at"`
	LogIndex   int64     `json:"log_index"`
}

// EvidenceMatch is an indicator of a report that matches the declared
// infrastructure of a deployment.
type EvidenceMatch struct {
	IndicatorID string         `json:"indicator_id"`
	Pattern     string         `json:"pattern"`
	Kind        ObservableKind `json:"kind"`
	// Value is the indicator's value; Declared the entry of the
	// deployment's infrastructure it matched (a domain covers its
	// subdomains, a prefix its addresses).
	Value        string `json:"value"`
	Declared     string `json:"declared"`
	DeploymentID string `json:"deployment_id"`
	LicenseID    string `json:"license_id"`
	CaseID       string `json:"case_id,omitempty"`
}

// InfrastructureIndex finds the deployments whose declared infrastructure
// an indicator names. It is built once per import from every declaration
// and answers each observable with map lookups (a domain is looked up with
// each of its parent domains), except IP addresses, which are compared with
// each declared prefix.
type InfrastructureIndex struct {
	exact    map[ObservableKind]map[string][]infraRef
	prefixes []prefixRef
}

type infraRef struct{ deployment, license, declared string }

type prefixRef struct {
	p netip.Prefix
	infraRef
}

// NewInfrastructureIndex returns an empty index.
func NewInfrastructureIndex() *InfrastructureIndex {
	return &InfrastructureIndex{exact: map[ObservableKind]map[string][]infraRef{
		ObservableDomain: {}, ObservableCert: {}, ObservableApp: {},
	}}
}

// Add indexes the normalised infrastructure of a deployment.
func (x *InfrastructureIndex) Add(deploymentID, licenseID string, in *Infrastructure) {
	if in == nil {
		return
	}
	add := func(k ObservableKind, vs []string) {
		for _, v := range vs {
			x.exact[k][v] = append(x.exact[k][v], infraRef{deploymentID, licenseID, v})
		}
	}
	add(ObservableDomain, in.Domains)
	add(ObservableCert, in.CertSHA256)
	add(ObservableApp, in.AppIDs)
	for _, s := range in.IPRanges {
		if p, ok := ParsePrefix(s); ok {
			x.prefixes = append(x.prefixes, prefixRef{p, infraRef{deploymentID, licenseID, s}})
		}
	}
}

// Match returns the matches of ind: one per declared entry that one of its
// observables names.
func (x *InfrastructureIndex) Match(ind *Indicator) []EvidenceMatch {
	var out []EvidenceMatch
	for _, o := range ind.Observables {
		emit := func(r infraRef) {
			out = append(out, EvidenceMatch{IndicatorID: ind.ID, Pattern: ind.Pattern, Kind: o.Kind, Value: o.Value,
				Declared: r.declared, DeploymentID: r.deployment, LicenseID: r.license})
		}
		switch o.Kind {
		case ObservableDomain:
			// The domain itself, then each parent: a declared domain
			// covers its subdomains.
			for d := o.Value; strings.Contains(d, "."); d = d[strings.IndexByte(d, '.')+1:] {
				for _, r := range x.exact[o.Kind][d] {
					emit(r)
				}
			}
		case ObservableCert, ObservableApp:
			for _, r := range x.exact[o.Kind][o.Value] {
				emit(r)
			}
		case ObservableIP:
			p, ok := ParsePrefix(o.Value)
			if !ok {
				continue
			}
			for _, r := range x.prefixes {
				if r.p.Overlaps(p) {
					emit(r.infraRef)
				}
			}
		}
	}
	return out
}
