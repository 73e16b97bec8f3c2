package state

// Plan is a usage plan of a subscription: requests per minute (0 = no limit) and the burst above the steady rate.
type Plan struct {
	Name    string `json:"name"`
	RPM     int64  `json:"rpm"`
	Burst   int64  `json:"burst,omitempty"`
	BuiltIn bool   `json:"builtIn,omitempty"`
}

// BuiltinPlans are the plans every cluster has. Custom plans may not reuse their names.
var BuiltinPlans = []Plan{
	{Name: "Bronze", RPM: 1000, BuiltIn: true},
	{Name: "Silver", RPM: 2000, BuiltIn: true},
	{Name: "Gold", RPM: 5000, BuiltIn: true},
	{Name: "Unlimited", RPM: 0, BuiltIn: true},
	{Name: "10KPerMin", RPM: 10000, BuiltIn: true},
	{Name: "20KPerMin", RPM: 20000, BuiltIn: true},
	{Name: "50KPerMin", RPM: 50000, BuiltIn: true},
}

// BuiltinPlan returns the built-in plan of that name.
func BuiltinPlan(name string) (Plan, bool) {
	for _, p := range BuiltinPlans {
		if p.Name == name {
			return p, true
		}
	}
	return Plan{}, false
}
