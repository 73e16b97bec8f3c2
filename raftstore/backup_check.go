package raftstore

import (
	"fmt"

	"portico/raftstore/state"
)

// Checks of a backup's users, credentials, documents, plans, signing keys and revocations (see checkState).

// checkUsers checks roles and that admin tokens and shares name existing users.
func checkUsers(st *state.State) error {
	for name, u := range st.Users {
		if !state.ValidUserName(name) || !state.ValidRole(u.Role) {
			return fmt.Errorf("users[%q]: invalid name or role %q", name, u.Role)
		}
	}
	for id, t := range st.AdminTokens {
		if _, ok := st.Users[t.User]; t.User != "" && !ok {
			return fmt.Errorf("adminTokens[%q]: user %q does not exist", id, t.User)
		}
	}
	for id, a := range st.Apps {
		for _, u := range a.SharedWith {
			if _, ok := st.Users[u]; !ok {
				return fmt.Errorf("apps[%q]: shared with user %q, who does not exist", id, u)
			}
		}
	}
	return nil
}

// checkCredentials checks each client credential's form and that ClientIndex lists exactly the credentials.
func checkCredentials(st *state.State) error {
	n := 0
	for id, a := range st.Apps {
		for env, c := range a.Credentials {
			if c == nil || c.Env != env {
				return fmt.Errorf("apps[%q].credentials[%q] is null or of another environment", id, env)
			}
			cred := *c
			if err := checkCredential(&cred); err != nil {
				return fmt.Errorf("apps[%q].credentials[%q]: %w", id, env, err)
			}
			if st.ClientIndex[c.ClientID] != id {
				return fmt.Errorf("clientIndex does not map %q to application %q", c.ClientID, id)
			}
			n++
		}
	}
	if len(st.ClientIndex) != n {
		return fmt.Errorf("clientIndex has %d entries for %d credentials", len(st.ClientIndex), n)
	}
	return nil
}

// checkDocuments checks that documents belong to existing API versions and sit under their names.
func checkDocuments(st *state.State) error {
	for api, docs := range st.Documents {
		if _, ok := st.APIs[api]; !ok {
			return fmt.Errorf("documents[%q]: api does not exist", api)
		}
		if err := checkMap(fmt.Sprintf("documents[%q]", api), docs, func(d *state.Document) string { return d.Name }); err != nil {
			return err
		}
	}
	return nil
}

// checkPlans checks that custom plans are valid and do not shadow built-in ones.
func checkPlans(st *state.State) error {
	for name, p := range st.Plans {
		if builtinName(name) || p.BuiltIn || p.RPM < 1 || p.Burst < 0 {
			return fmt.Errorf("plans[%q] is built-in or has rpm %d, burst %d", name, p.RPM, p.Burst)
		}
	}
	return nil
}

// checkSigningKeys checks each key's form and that at most one is current.
func checkSigningKeys(st *state.State) error {
	current := 0
	for kid, k := range st.SigningKeys {
		if err := checkSigningKey(k); err != nil {
			return fmt.Errorf("signingKeys[%q]: %w", kid, err)
		}
		if k.RetiredAt == 0 {
			current++
		}
	}
	if current > 1 {
		return fmt.Errorf("signingKeys has %d current keys, want at most one", current)
	}
	return nil
}

// checkRevoked checks the revoked token IDs and their expiries.
func checkRevoked(st *state.State) error {
	for id, exp := range st.Revoked {
		if id == "" || len(id) > maxTokenIDLen || exp <= 0 {
			return fmt.Errorf("revoked[%q] has expiry %d", id, exp)
		}
	}
	return nil
}
