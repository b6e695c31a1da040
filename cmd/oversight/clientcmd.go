package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"reflect"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/alecthomas/kong"

	"github.com/oversight-dev/oversight"
	"github.com/oversight-dev/oversight/client"
)

// defaultServer is where client commands go without --server.
const defaultServer = "http://127.0.0.1:8080"

// clientFlags are the flags of every command that talks to a server.
type clientFlags struct {
	Server string `type:"server" env:"OVERSIGHT_SERVER" default:"${default_server}" help:"Server URL (http:// unless it says https://)."`
	Token  string `env:"OVERSIGHT_TOKEN" help:"API token; prefer the environment variable, since flags show in ps."`
	Output string `short:"o" default:"table" enum:"table,json,id" help:"Output: table, json, or id (ids alone, one a line)."`
}

// clientOptions lets Run find the client flags of the command it runs.
func (f *clientFlags) clientOptions() *clientFlags { return f }

// decodeServer reads a server's URL. One without a scheme, such as
// 127.0.0.1:8080, is taken for http://; anything but http and https, or a
// URL with no host, is refused with an example.
func decodeServer(ctx *kong.DecodeContext, target reflect.Value) error {
	var s string
	if err := ctx.Scan.PopValueInto("URL", &s); err != nil {
		return err
	}
	in := s
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not a server's URL: want http:// or https://, a host and a port, such as http://127.0.0.1:8080", in)
	}
	target.SetString(strings.TrimRight(u.String(), "/"))
	return nil
}

// unreachable says what to do when err is a server that is not there:
// nothing listens at the address, or the host is unknown; "" otherwise.
func unreachable(err *client.NetError) string {
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("no server answers at %s: start one with \"oversight serve\" (\"oversight serve --demo\" to try it), "+
			"or give yours with OVERSIGHT_SERVER or --server", err.Server)
	case errors.As(err, &dns) && dns.IsNotFound:
		return fmt.Sprintf("no host is named %s: give the server's URL with OVERSIGHT_SERVER or --server", dns.Name)
	}
	return ""
}

func (f *clientFlags) client() *client.Client {
	c := client.New(f.Server, f.Token)
	c.UserAgent = "oversight-cli"
	return c
}

// print writes v as JSON, as its ids alone (one a line: the resource's,
// or a list's items'), or through table.
func (f *clientFlags) print(env *Env, v any, ids []string, table func(w io.Writer)) error {
	switch f.Output {
	case "json":
		return printJSON(env.Stdout, v)
	case "id":
		if ids == nil {
			return &exitError{code: exitUsage, msg: "--output id: this command has no ids to print"}
		}
		for _, id := range ids {
			if _, err := fmt.Fprintln(env.Stdout, id); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	table(tw)
	return tw.Flush()
}

// one is the ids argument of print for a single resource.
func one(id string) []string { return []string{id} }

// idsOf collects the ids of a list's items.
func idsOf[T any](items []T, id func(*T) string) []string {
	out := make([]string, 0, len(items))
	for i := range items {
		out = append(out, id(&items[i]))
	}
	return out
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// row writes tab-separated cells and a newline.
func row(w io.Writer, cells ...any) {
	for i, c := range cells {
		if i > 0 {
			io.WriteString(w, "\t")
		}
		fmt.Fprint(w, c)
	}
	io.WriteString(w, "\n")
}

// readJSONFile decodes a JSON file ("-" for standard input) into v.
func readJSONFile(env *Env, path string, v any) error {
	var (
		b   []byte
		err error
	)
	if path == "-" {
		b, err = io.ReadAll(env.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return &exitError{code: exitUsage, msg: err.Error()}
	}
	if err := oversight.DecodeJSON(b, v); err != nil {
		return &exitError{code: exitUsage, msg: path + ": " + err.Error()}
	}
	return nil
}

func join(xs []string) string {
	if len(xs) == 0 {
		return "-"
	}
	return strings.Join(xs, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
