package admin

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"portico/node/httperr"
	"portico/raftstore"
	"portico/raftstore/state"
)

// wasmTypes are the media types of a pushed plugin module.
var wasmTypes = []string{"application/wasm"}

var (
	pluginNameRe    = regexp.MustCompile(`^[a-z0-9-]{1,63}$`)
	pluginVersionRe = regexp.MustCompile(`^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$`)
)

// pluginInfo is a plugin version in listings: never its bytes.
type pluginInfo struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	CreatedAt int64  `json:"createdAt"`
}

// pushResponse answers a plugin push.
type pushResponse struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Changed bool   `json:"changed"`
}

// pluginRoutes registers the endpoints of pushed plugins.
func (a *Admin) pluginRoutes() {
	a.handle("PUT /v1/plugins/{name}/{version}", a.only("push plugins", publishers, a.pushPlugin))
	a.handle("GET /v1/plugins", a.only("list plugins", publishers, a.listPlugins))
	a.handle("DELETE /v1/plugins/{name}/{version}", a.only("delete plugins", adminOnly, a.deletePlugin))
}

// pushPlugin stores a plugin version: the module is checked by the plugin host, then proposed in chunks followed by
// the plugin itself, each with a request ID derived from the Idempotency-Key, so that a retry re-applies nothing.
func (a *Admin) pushPlugin(w http.ResponseWriter, r *http.Request) error {
	name, version := r.PathValue("name"), r.PathValue("version")
	if err := a.checkPluginID(name, version); err != nil {
		return err
	}
	if a.compile == nil {
		return httperr.New(http.StatusServiceUnavailable, "plugin host unavailable: this node cannot check modules")
	}
	wasm, err := readBody(r, wasmTypes, raftstore.MaxPluginSize)
	if err != nil {
		return err
	}
	if err := a.checkModule(r.Context(), wasm); err != nil {
		return err
	}
	put, err := a.applyPlugin(r, state.Plugin{Name: name, Version: version, CreatedAt: a.now().UnixMilli()}, wasm)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if put.Changed {
		status = http.StatusCreated
	}
	p := put.Plugin
	return writeJSON(w, status, pushResponse{
		Name: p.Name, Version: p.Version, SHA256: p.SHA256, Size: p.Size, Changed: put.Changed,
	})
}

// checkPluginID refuses a malformed plugin name or version (400) and the name of a built-in policy (409).
func (a *Admin) checkPluginID(name, version string) error {
	switch {
	case !pluginNameRe.MatchString(name):
		return httperr.New(http.StatusBadRequest,
			fmt.Sprintf("name: %q must be 1 to 63 characters of [a-z0-9-]", name))
	case !pluginVersionRe.MatchString(version):
		return httperr.New(http.StatusBadRequest,
			fmt.Sprintf("version: %q must be MAJOR.MINOR.PATCH (for example \"1.0.0\"), without leading zeros",
				version))
	case a.policies(name):
		return httperr.New(http.StatusConflict, fmt.Sprintf("name: %q is a built-in policy", name))
	}
	return nil
}

// checkModule has the plugin host check the module. A module it refuses is a client error; a cancelled request is
// not.
func (a *Admin) checkModule(ctx context.Context, wasm []byte) error {
	if len(wasm) == 0 {
		return httperr.New(http.StatusBadRequest, "request body is empty: a wasm module is required")
	}
	err := a.compile(ctx, wasm)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return httperr.Wrap(http.StatusServiceUnavailable, "checking the module did not finish: nothing was applied",
			err)
	}
	return httperr.Wrap(http.StatusBadRequest, "module refused by the plugin host: "+err.Error(), err)
}

// applyPlugin applies the commands of a plugin push in order; command i has request ID "<idempotency key>-<i>".
func (a *Admin) applyPlugin(r *http.Request, p state.Plugin, wasm []byte) (raftstore.PutPluginResult, error) {
	key, err := requestKey(r)
	if err != nil {
		return raftstore.PutPluginResult{}, err
	}
	cmds, err := raftstore.PluginCommands(key, p, wasm)
	if err != nil {
		return raftstore.PutPluginResult{}, a.applyError(err)
	}
	var res any
	for i, cmd := range cmds {
		if res, err = a.store.Apply(r.Context(), key+"-"+strconv.Itoa(i), cmd); err != nil {
			return raftstore.PutPluginResult{}, a.applyError(err)
		}
	}
	return result[raftstore.PutPluginResult](res)
}

// listPlugins lists every plugin version, sorted by name then version.
func (a *Admin) listPlugins(w http.ResponseWriter, r *http.Request) error {
	plugins := a.store.State().Plugins
	out := make([]pluginInfo, 0, len(plugins))
	for _, p := range plugins {
		out = append(out, pluginInfo{Name: p.Name, Version: p.Version, SHA256: p.SHA256, Size: p.Size,
			CreatedAt: p.CreatedAt})
	}
	slices.SortFunc(out, func(x, y pluginInfo) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), compareVersions(x.Version, y.Version))
	})
	return writeJSON(w, http.StatusOK, out)
}

// deletePlugin removes one plugin version. Existence and use by an API are checked by the state machine, so that a
// retried delete with the same Idempotency-Key succeeds again.
func (a *Admin) deletePlugin(w http.ResponseWriter, r *http.Request) error {
	name, version := r.PathValue("name"), r.PathValue("version")
	if _, err := a.apply(r, raftstore.DeletePlugin{Name: name, Version: version}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"deleted": state.PluginKey(name, version)})
}

// checkPolicyRef accepts a policy reference that names a built-in policy or a pushed plugin version of st. A
// pushed plugin referenced without a version, or with one st does not hold, is refused naming the versions there
// are. field is the reference's path in the API file, such as "policies.request[0]".
func (a *Admin) checkPolicyRef(st *state.State, field string, ref state.PolicyRef) error {
	if _, ok := st.Plugins[state.PluginKey(ref.Name, ref.Version)]; ok {
		return nil
	}
	versions := pluginVersions(st, ref.Name)
	switch {
	case len(versions) > 0 && ref.Version == "":
		return httperr.New(http.StatusBadRequest, fmt.Sprintf("%s.version: required for plugin %q (versions: %s)",
			field, ref.Name, strings.Join(versions, ", ")))
	case len(versions) > 0:
		return httperr.New(http.StatusBadRequest, fmt.Sprintf("%s.version: plugin %q has no version %q (versions: %s)",
			field, ref.Name, ref.Version, strings.Join(versions, ", ")))
	case !a.policies(ref.Name):
		return httperr.New(http.StatusBadRequest, fmt.Sprintf("%s.name: unknown policy %q", field, ref.Name))
	}
	return nil
}

// pluginVersions returns the versions of plugin name in st, in version order.
func pluginVersions(st *state.State, name string) []string {
	var out []string
	for _, p := range st.Plugins {
		if p.Name == name {
			out = append(out, p.Version)
		}
	}
	slices.SortFunc(out, compareVersions)
	return out
}

// compareVersions orders MAJOR.MINOR.PATCH versions numerically, part by part; parts that are not numbers compare
// as text.
func compareVersions(x, y string) int {
	xs, ys := strings.Split(x, "."), strings.Split(y, ".")
	for i := range min(len(xs), len(ys)) {
		xn, xerr := strconv.Atoi(xs[i])
		yn, yerr := strconv.Atoi(ys[i])
		c := cmp.Compare(xs[i], ys[i])
		if xerr == nil && yerr == nil {
			c = cmp.Compare(xn, yn)
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(xs), len(ys))
}
