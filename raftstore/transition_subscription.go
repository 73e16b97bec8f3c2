package raftstore

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"portico/raftstore/state"
)

// createSubscription subscribes an application to an API major version.
func createSubscription(next *state.State, c *CreateSubscription, rec *state.Request) (any, error) {
	sub := c.Sub
	if sub.ID == "" || sub.API == "" {
		return nil, invalid("subscription id and api are required")
	}
	if _, ok := next.Apps[sub.AppID]; !ok {
		return nil, notFound("application %q", sub.AppID)
	}
	if err := addSubscription(next, &sub); err != nil {
		return nil, err
	}
	rec.Ref = sub.ID
	return CreateSubscriptionResult{Sub: &sub}, nil
}

// addSubscription checks a new subscription (status, API lifecycle, plan, uniqueness) and stores it with its SubIndex
// entry. An empty status means active.
func addSubscription(next *state.State, sub *state.Subscription) error {
	if sub.Status == "" {
		sub.Status = state.SubActive
	}
	if err := checkSubStatus(sub.Status); err != nil {
		return err
	}
	if err := checkSubscribable(next, sub.API, sub.Major); err != nil {
		return err
	}
	if _, ok := next.Plan(sub.Plan); !ok {
		return invalid("plan: %q is not one of %s", sub.Plan, strings.Join(next.PlanNames(), ", "))
	}
	if old, ok := next.Subscription(sub.AppID, sub.API, sub.Major); ok {
		return conflict("application %q already subscribes to %s v%d (subscription %s)", sub.AppID, sub.API, sub.Major, old.ID)
	}
	if _, ok := next.Subscriptions[sub.ID]; ok {
		return conflict("subscription id %q exists", sub.ID)
	}
	next.Subscriptions = maps.Clone(next.Subscriptions)
	next.Subscriptions[sub.ID] = sub
	next.SubIndex = maps.Clone(next.SubIndex)
	next.SubIndex[state.SubKey(sub.AppID, sub.API, sub.Major)] = sub.ID
	return nil
}

func checkSubStatus(status string) error {
	if status != state.SubActive && status != state.SubBlocked {
		return invalid("status: %q is not %s or %s", status, state.SubActive, state.SubBlocked)
	}
	return nil
}

// checkSubscribable refuses an API major version that does not exist or has no Published or Pre-released version,
// naming the state of each version.
func checkSubscribable(st *state.State, api string, major int) error {
	var states []string
	for _, a := range st.SortedAPIs() {
		if a.Name != api || a.Major != major {
			continue
		}
		if a.Lifecycle == state.Published || a.Lifecycle == state.PreReleased {
			return nil
		}
		states = append(states, fmt.Sprintf("%s is %s", a.Version, a.Lifecycle))
	}
	if len(states) == 0 {
		return notFound("api %s v%d", api, major)
	}
	return invalid("api %s v%d accepts no new subscriptions: %s", api, major, strings.Join(states, ", "))
}

// setSubscriptionStatus blocks or unblocks a subscription.
func setSubscriptionStatus(next *state.State, c *SetSubscriptionStatus, rec *state.Request) (any, error) {
	cur, ok := next.Subscriptions[c.ID]
	if !ok {
		return nil, notFound("subscription %q", c.ID)
	}
	if err := checkSubStatus(c.Status); err != nil {
		return nil, err
	}
	if cur.Status == c.Status {
		return UpdateResult{Changed: false}, nil
	}
	sub := *cur
	sub.Status = c.Status
	next.Subscriptions = maps.Clone(next.Subscriptions)
	next.Subscriptions[c.ID] = &sub
	rec.Changed = true
	return UpdateResult{Changed: true}, nil
}

// deleteSubscription removes a subscription with the application's keys for that API major version.
func deleteSubscription(next *state.State, c *DeleteSubscription, _ *state.Request) (any, error) {
	sub, ok := next.Subscriptions[c.ID]
	if !ok {
		return nil, notFound("subscription %q", c.ID)
	}
	next.Subscriptions = maps.Clone(next.Subscriptions)
	delete(next.Subscriptions, c.ID)
	next.SubIndex = maps.Clone(next.SubIndex)
	delete(next.SubIndex, state.SubKey(sub.AppID, sub.API, sub.Major))
	next.Keys = deleteWhere(next.Keys, func(k *state.APIKey) bool {
		return k.AppID == sub.AppID && k.API == sub.API && k.Major == sub.Major
	})
	return DeleteResult{Deleted: true}, nil
}

func replayCreateSubscription(cur *state.State, c *CreateSubscription, rec state.Request) any {
	fallback := c.Sub
	if fallback.Status == "" {
		fallback.Status = state.SubActive
	}
	return CreateSubscriptionResult{Sub: current(cur.Subscriptions, rec.Ref, fallback, func(s *state.Subscription) { s.ID = rec.Ref })}
}

// planNameRE is the form of a custom plan name.
var planNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// createPlan stores a custom usage plan.
func createPlan(next *state.State, c *CreatePlan, rec *state.Request) (any, error) {
	p := c.Plan
	if !planNameRE.MatchString(p.Name) {
		return nil, invalid("plan name: %q must be 1 to 64 characters of [A-Za-z0-9._-]", p.Name)
	}
	if builtinName(p.Name) {
		return nil, invalid("plan name: %q is a built-in plan", p.Name)
	}
	if p.RPM < 1 || p.Burst < 0 {
		return nil, invalid("plan %q: rpm must be at least 1 and burst not negative (got rpm %d, burst %d)", p.Name, p.RPM, p.Burst)
	}
	if _, ok := next.Plans[p.Name]; ok {
		return nil, conflict("plan %q exists", p.Name)
	}
	p.BuiltIn = false
	next.Plans = maps.Clone(next.Plans)
	next.Plans[p.Name] = &p
	rec.Ref = p.Name
	return CreatePlanResult{Plan: &p}, nil
}

// builtinName reports whether name is a built-in plan's name in any letter case.
func builtinName(name string) bool {
	return slices.ContainsFunc(state.BuiltinPlans, func(p state.Plan) bool { return strings.EqualFold(p.Name, name) })
}

func replayCreatePlan(cur *state.State, c *CreatePlan, rec state.Request) any {
	return CreatePlanResult{Plan: current(cur.Plans, rec.Ref, c.Plan, func(p *state.Plan) { p.Name = rec.Ref })}
}
