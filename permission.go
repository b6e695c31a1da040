package oversight

// A Task is something a principal asks the service to do. Who may do
// each is stated once, in the table of Permissions: the service checks
// every call against it, and the role matrix of the HTTP API's tests reads
// it. A check of ownership (a vendor's own products, an agency's own
// licences) comes after it, in the service.
type Task string

// The tasks, by the aggregate they act on.
const (
	TaskPasskeyAdd         Task = "passkey.add"
	TaskProtectedAdd       Task = "protected.add"
	TaskProtectedImport    Task = "protected.import"
	TaskLicenseApply       Task = "license.apply"
	TaskLicenseDecide      Task = "license.decide"
	TaskLicenseRead        Task = "license.read"
	TaskPartyMatchRead     Task = "party.match.read"
	TaskPartyMatchDecide   Task = "party.match.decide"
	TaskActionOrder        Task = "action.order"
	TaskActionApprove      Task = "action.approve"
	TaskActionRead         Task = "action.read"
	TaskActionList         Task = "action.list"
	TaskTokenCreate        Task = "token.create"
	TaskTokenList          Task = "token.list"
	TaskTokenRevoke        Task = "token.revoke"
	TaskUserCreate         Task = "user.create"
	TaskUserInvite         Task = "user.invite"
	TaskUserRead           Task = "user.read"
	TaskUserNames          Task = "user.names"
	TaskUserList           Task = "user.list"
	TaskVendorCreate       Task = "vendor.create"
	TaskVendorUpdate       Task = "vendor.update"
	TaskVendorRead         Task = "vendor.read"
	TaskProductCreate      Task = "product.create"
	TaskProductRead        Task = "product.read"
	TaskReviewSubmit       Task = "review.submit"
	TaskReviewDecide       Task = "review.decide"
	TaskReviewRead         Task = "review.read"
	TaskReviewListAll      Task = "review.list.all"
	TaskCountryRead        Task = "country.read"
	TaskCountrySet         Task = "country.set"
	TaskEndUserCreate      Task = "end.user.create"
	TaskEndUserUpdate      Task = "end.user.update"
	TaskEndUserRead        Task = "end.user.read"
	TaskTemplateRead       Task = "template.read"
	TaskDeclarationRead    Task = "declaration.read"
	TaskDeclarationRecord  Task = "declaration.record"
	TaskDeploymentRegister Task = "deployment.register"
	TaskDeploymentDeclare  Task = "deployment.declare"
	TaskDeploymentRetire   Task = "deployment.retire"
	TaskDeploymentRead     Task = "deployment.read"
	TaskDeploymentListAll  Task = "deployment.list.all"
	TaskOperationRead      Task = "operation.read"
	TaskCaseOpen           Task = "case.open"
	TaskCaseUpdate         Task = "case.update"
	TaskComplaintRead      Task = "complaint.read"
	TaskComplaintTriage    Task = "complaint.triage"
	TaskCaseRead           Task = "case.read"
	TaskEvidenceImport     Task = "evidence.import"
	TaskEvidenceRead       Task = "evidence.read"
	TaskDesignate          Task = "designate"
	TaskDesignateFromCase  Task = "designate.from.case"
	TaskDesignationDelist  Task = "designation.delist"
	TaskDesignationImport  Task = "designation.import"
	TaskDesignationRead    Task = "designation.read"
	TaskScreen             Task = "screen"
	TaskScreeningRead      Task = "screening.read"
	TaskLogDisclose        Task = "log.disclose"
)

// Permission is who may do a task: the roles, in the order a refusal
// names them, and how the refusal names the task.
type Permission struct {
	What  string
	Roles []Role
}

// permissions is the complete statement of who may do what.
var permissions = map[Task]Permission{
	TaskPasskeyAdd: {"adding a passkey", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser, RoleConsular}},
	// The two ministries keep the protected-persons register: their
	// officers know who the diplomats, journalists, defenders and allied
	// officials are.
	TaskProtectedAdd:    {"adding to the protected-persons register", []Role{RoleDefense, RoleForeignAffairs}},
	TaskProtectedImport: {"importing into the protected-persons register", []Role{RoleDefense, RoleForeignAffairs}},
	TaskLicenseApply:    {"applying for a licence", []Role{RoleVendor, RoleDefense}},
	TaskLicenseDecide:   {"approving or denying a licence", []Role{RoleDefense, RoleForeignAffairs}},
	TaskLicenseRead:     {"reading licences", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser}},
	// A licence's party matches are read and decided by the officers of
	// the two licensing ministries. The vendor and the agency do not see
	// them, as they do not see misuse cases: a match is a suspicion.
	TaskPartyMatchRead:   {"reading a licence's party matches", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
	TaskPartyMatchDecide: {"deciding on a party match", []Role{RoleDefense, RoleForeignAffairs}},
	TaskActionOrder:      {"ordering an enforcement action", []Role{RoleDefense, RoleForeignAffairs}},
	TaskActionApprove:    {"approving an enforcement action", []Role{RoleDefense, RoleForeignAffairs}},
	TaskActionRead:       {"reading enforcement actions", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser}},
	TaskActionList:       {"listing enforcement actions", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
	TaskTokenCreate:      {"creating tokens", []Role{RoleAdmin}},
	TaskTokenList:        {"listing tokens", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser, RoleConsular}},
	TaskTokenRevoke:      {"revoking tokens", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser, RoleConsular}},
	TaskUserCreate:       {"creating users", []Role{RoleAdmin}},
	TaskUserInvite:       {"inviting users", []Role{RoleAdmin}},
	TaskUserRead:         {"reading users", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser, RoleConsular}},
	TaskUserNames:        {"reading users' names", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser, RoleConsular}},
	TaskUserList:         {"listing users", []Role{RoleAdmin}},
	TaskVendorCreate:     {"registering a vendor", []Role{RoleAdmin, RoleDefense}},
	// Who registers a vendor or an agency changes it: a vendor does not
	// rewrite its own ownership record, as it does not register itself.
	TaskVendorUpdate:       {"changing a vendor", []Role{RoleAdmin, RoleDefense}},
	TaskVendorRead:         {"reading vendors", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor}},
	TaskProductCreate:      {"registering a product", []Role{RoleAdmin, RoleDefense, RoleVendor}},
	TaskProductRead:        {"reading products", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor}},
	TaskReviewSubmit:       {"submitting a review", []Role{RoleAdmin, RoleVendor}},
	TaskReviewDecide:       {"deciding a review", []Role{RoleDefense}},
	TaskReviewRead:         {"reading reviews", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor}},
	TaskReviewListAll:      {"listing the reviews of every product", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
	TaskCountryRead:        {"reading countries", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser, RoleConsular}},
	TaskCountrySet:         {"setting a country's eligibility", []Role{RoleDefense}},
	TaskEndUserCreate:      {"registering an end user", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
	TaskEndUserUpdate:      {"changing an end user", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
	TaskEndUserRead:        {"reading end users", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser}},
	TaskTemplateRead:       {"reading declaration templates", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser, RoleConsular}},
	TaskDeclarationRead:    {"reading declarations", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleEndUser, RoleVendor}},
	TaskDeclarationRecord:  {"recording a declaration", []Role{RoleAdmin, RoleForeignAffairs, RoleEndUser}},
	TaskDeploymentRegister: {"registering a deployment", []Role{RoleDefense, RoleVendor, RoleEndUser}},
	TaskDeploymentDeclare:  {"declaring a deployment's infrastructure", []Role{RoleDefense, RoleVendor, RoleEndUser}},
	TaskDeploymentRetire:   {"retiring a deployment", []Role{RoleDefense, RoleVendor, RoleEndUser}},
	TaskDeploymentRead:     {"reading deployments", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser}},
	TaskDeploymentListAll:  {"listing every deployment", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
	TaskOperationRead:      {"reading operations", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleVendor, RoleEndUser}},
	// Misuse cases are for officials only; the ministries' investigators
	// open and update them. The vendor and the end user of the licence
	// under investigation do not see them, so that a case cannot tip off
	// the people it is about.
	TaskCaseOpen:        {"opening a misuse case", []Role{RoleDefense, RoleForeignAffairs}},
	TaskCaseUpdate:      {"updating a misuse case", []Role{RoleDefense, RoleForeignAffairs}},
	TaskComplaintRead:   {"reading complaints", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
	TaskComplaintTriage: {"triaging complaints", []Role{RoleDefense, RoleForeignAffairs}},
	TaskCaseRead:        {"reading misuse cases", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
	TaskEvidenceImport:  {"importing forensic evidence", []Role{RoleDefense, RoleForeignAffairs}},
	TaskEvidenceRead:    {"reading forensic evidence", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
	// The two ministries designate (the visa policy is theirs); consular
	// officers read designations, to see who a screening matched.
	TaskDesignate:         {"designating a person", []Role{RoleDefense, RoleForeignAffairs}},
	TaskDesignateFromCase: {"designating from a misuse case", []Role{RoleDefense, RoleForeignAffairs}},
	TaskDesignationDelist: {"delisting a designation", []Role{RoleDefense, RoleForeignAffairs}},
	TaskDesignationImport: {"importing designations", []Role{RoleDefense, RoleForeignAffairs}},
	TaskDesignationRead:   {"reading designations", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleConsular}},
	// Consular officers screen, and the officials who may check a name
	// themselves. The record of screenings is read by the officials, who
	// supervise consular work; a consular officer does not read other
	// officers' screenings.
	TaskScreen:        {"screening", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs, RoleConsular}},
	TaskScreeningRead: {"reading the record of screenings", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
	TaskLogDisclose:   {"reading what the public log withholds", []Role{RoleAdmin, RoleDefense, RoleForeignAffairs}},
}

// Permission returns who may do a; a task not in the table is for no
// one.
func (a Task) Permission() Permission { return permissions[a] }

// Allows reports whether role may do a.
func (a Task) Allows(role Role) bool {
	for _, r := range permissions[a].Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Tasks returns every task of the table.
func Tasks() []Task {
	out := make([]Task, 0, len(permissions))
	for a := range permissions {
		out = append(out, a)
	}
	return out
}
