package web

import (
	"context"
	"strings"

	"github.com/oversight-dev/oversight"
)

// names is what a page shows instead of ids: people's names for the audit
// log's actors (role:usr_…), which the public log carries only as ids, and
// the names of products, vendors and agencies. Each is resolved through
// the service, with the viewer's rights: what the viewer may not see stays
// an id.
type names struct {
	people map[string]string // user id → name
	things map[string]string // product, vendor or end-user id → name
}

// actorUser returns the user id of an actor written role:usr_…, or "".
func actorUser(actor string) string {
	if _, id, ok := strings.Cut(actor, ":"); ok && strings.HasPrefix(id, oversight.PrefixUser) {
		return id
	}
	return ""
}

// resolve looks up the names of the people among actors (role:usr_… or
// bare user ids) and of the products, vendors, agencies and licences
// among ids.
// Lookups that fail leave the id as it is: a page never fails for a name.
func (s *Server) resolve(ctx context.Context, p *oversight.Principal, actors []string, ids ...string) names {
	n := names{people: map[string]string{}, things: map[string]string{}}
	var users []string
	seen := map[string]bool{}
	for _, a := range actors {
		id := actorUser(a)
		if id == "" && strings.HasPrefix(a, oversight.PrefixUser) {
			id = a
		}
		if id != "" && !seen[id] && len(users) < 200 {
			seen[id] = true
			users = append(users, id)
		}
	}
	if len(users) > 0 {
		if m, err := s.svc.UserNames(ctx, p, users); err == nil {
			n.people = m
		}
	}
	for _, id := range ids {
		if _, done := n.things[id]; done || id == "" {
			continue
		}
		var name string
		switch {
		case strings.HasPrefix(id, oversight.PrefixProduct):
			if x, err := s.svc.Product(ctx, p, id); err == nil {
				name = x.Name
			}
		case strings.HasPrefix(id, oversight.PrefixVendor):
			if x, err := s.svc.Vendor(ctx, p, id); err == nil {
				name = x.Name
			}
		case strings.HasPrefix(id, oversight.PrefixEndUser):
			if x, err := s.svc.EndUser(ctx, p, id); err == nil {
				name = x.Agency
			}
		case strings.HasPrefix(id, oversight.PrefixLicense):
			// A licence by what it licenses: product and agency.
			if x, err := s.svc.License(ctx, p, id); err == nil {
				in := s.resolve(ctx, p, nil, x.ProductID, x.EndUserID)
				name = capital(x.Kind) + ": " + in.Name(x.ProductID) + " to " + in.Name(x.EndUserID)
			}
		}
		if name != "" {
			n.things[id] = name
		}
	}
	return n
}

// Who names an actor for people: the user's name with their role, a
// deployment by its id, the system as such.
func (n names) Who(actor string) string {
	switch {
	case actor == "system":
		return "the system"
	case strings.HasPrefix(actor, oversight.PrefixDeployment):
		return "deployment " + actor
	}
	id := actorUser(actor)
	if id == "" {
		id = actor
	}
	if name, ok := n.people[id]; ok {
		if role, _, found := strings.Cut(actor, ":"); found {
			return name + ", " + roleLabel(oversight.Role(role))
		}
		return name
	}
	return actor
}

// Name returns the name of a product, vendor, agency or licence, or its
// id.
func (n names) Name(id string) string {
	if name, ok := n.things[id]; ok {
		return name
	}
	return id
}

// Known reports whether id's name was found.
func (n names) Known(id string) bool { _, ok := n.things[id]; return ok }
