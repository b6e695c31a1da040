package oversight_test

import (
	"slices"
	"testing"

	"github.com/oversight-dev/oversight"
)

// Every task of the table names one or more known roles, each once, and a
// phrase for its refusal; a task not in the table is for no one.
func TestPermissions(t *testing.T) {
	for _, task := range oversight.Tasks() {
		p := task.Permission()
		if p.What == "" || len(p.Roles) == 0 {
			t.Errorf("task %s: %+v, want a phrase and roles", task, p)
		}
		for i, r := range p.Roles {
			if !slices.Contains(oversight.Roles, r) || slices.Contains(p.Roles[:i], r) {
				t.Errorf("task %s: role %q unknown or repeated", task, r)
			}
			if !task.Allows(r) {
				t.Errorf("task %s does not allow its own role %s", task, r)
			}
		}
	}
	if oversight.Task("no.such").Allows(oversight.RoleAdmin) {
		t.Error("a task not in the table allows the admin")
	}
	if !oversight.TaskScreen.Allows(oversight.RoleConsular) || oversight.TaskScreen.Allows(oversight.RoleVendor) {
		t.Error("screening is for consular officers and officials, not vendors")
	}
}
