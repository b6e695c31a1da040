package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"sync"
)

// The OpenAPI document is kept in fragments, one per area of the API, and
// merged: each fragment is a partial OpenAPI document whose paths and
// components are added to the whole. openapi/00-base.json holds the info,
// security schemes and shared schemas.
//
//go:embed openapi/*.json
var openapiFS embed.FS

var openapiDoc = sync.OnceValues(func() ([]byte, error) {
	names, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var doc map[string]any
	for _, name := range names {
		b, err := openapiFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var frag map[string]any
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("openapi fragment %s: %w", name, err)
		}
		if doc == nil {
			doc = frag
			continue
		}
		if err := mergeInto(doc, frag, name); err != nil {
			return nil, err
		}
	}
	return json.MarshalIndent(doc, "", "  ")
})

// OpenAPI returns the OpenAPI 3.1 document of the API.
func OpenAPI() ([]byte, error) { return openapiDoc() }

// mergeInto adds the maps of src into dst, recursively; a key defined twice
// with different values is an error, so fragments cannot silently override
// each other.
func mergeInto(dst, src map[string]any, name string) error {
	for k, v := range src {
		old, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		om, ok1 := old.(map[string]any)
		nm, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			if err := mergeInto(om, nm, name); err != nil {
				return err
			}
			continue
		}
		ob, _ := json.Marshal(old)
		nb, _ := json.Marshal(v)
		if string(ob) != string(nb) {
			return fmt.Errorf("openapi fragment %s redefines %q", name, k)
		}
	}
	return nil
}
