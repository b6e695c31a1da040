package demo

import (
	"context"
	"net/url"
	"time"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/service"
)

// Link is a one-time console sign-in link of the demo, for one role.
type Link struct{ Who, URL string }

// LinkTTL is how long the demo's sign-in links work.
const LinkTTL = 24 * time.Hour

// SignInLinks makes one console sign-in link per demo user of tokens: each
// signs its user in once, without a passkey, so that the console can be
// tried at once. Approvals still ask the user to add a passkey.
func SignInLinks(ctx context.Context, svc *service.Service, origin string, tokens []Token) ([]Link, error) {
	var out []Link
	for _, t := range tokens {
		secret, err := SignInLink(ctx, svc, t.UserID)
		if err != nil {
			return nil, err
		}
		out = append(out, Link{Who: t.Who, URL: origin + "/link/" + url.PathEscape(secret)})
	}
	return out, nil
}

// SignInLink makes a one-time console sign-in link for a demo user and
// returns its secret: what the console's demo page signs a person in
// with (web.Options.DemoSignIn).
func SignInLink(ctx context.Context, svc *service.Service, userID string) (string, error) {
	_, secret, err := svc.CreateLink(ctx, service.Operator, userID, oversight.LinkSignIn, LinkTTL)
	return secret, err
}
