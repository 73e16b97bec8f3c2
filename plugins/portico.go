package plugins

import (
	"bytes"
	"context"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"portico/plugins/abi"
)

// porticoFuncs implement Portico's own portico_v1 module.
var porticoFuncs = []hostFunc{
	{abi.FuncGetProperty, getProperty, sig(i32, i32, i32, i32), sig(i32)},
	{abi.FuncSetProperty, setProperty, sig(i32, i32, i32, i32), nil},
	{abi.FuncLookupCredential, lookupCredential, sig(i32, i32, i32, i32, i32, i32, i32), sig(i32)},
	{abi.FuncAuthenticate, authenticate, sig(i32, i32, i32), sig(i32)},
	{abi.FuncSkipResponse, skipResponse, nil, nil},
	{abi.FuncResponseAnyInstance, responseAnyInstance, nil, nil},
}

func porticoModule(rt wazero.Runtime) wazero.HostModuleBuilder {
	return hostModule(rt, abi.ModulePortico, porticoFuncs)
}

func getProperty(ctx context.Context, mod api.Module, stack []uint64) {
	x := stateOf(ctx).exchange(abi.FuncGetProperty)
	mem := mod.Memory()
	key := capped(mem, u32(stack[0]), u32(stack[1]), maxNameLen, "property key")
	stack[0] = uint64(writeValue(mem, u32(stack[2]), u32(stack[3]), x.Property(string(key))))
}

// setProperty sets an "auth." property; any other key traps.
func setProperty(ctx context.Context, mod api.Module, stack []uint64) {
	x := stateOf(ctx).exchange(abi.FuncSetProperty)
	mem := mod.Memory()
	key := readString(mem, u32(stack[0]), u32(stack[1]), maxNameLen, "property key")
	if !strings.HasPrefix(key, abi.PropAuthPrefix) || len(key) == len(abi.PropAuthPrefix) {
		trap("set_property outside %q", abi.PropAuthPrefix)
	}
	x.SetProperty(key, readString(mem, u32(stack[2]), u32(stack[3]), maxValueLen, "property value"))
}

// lookupCredential returns -1 for an unknown, mismatching or expired credential, else the record length under the
// read-function rules.
func lookupCredential(ctx context.Context, mod api.Module, stack []uint64) {
	x := stateOf(ctx).exchange(abi.FuncLookupCredential)
	mem := mod.Memory()
	kind := u32(stack[0])
	id := readString(mem, u32(stack[1]), u32(stack[2]), maxIDLen, "credential id")
	hash := bytes.Clone(capped(mem, u32(stack[3]), u32(stack[4]), maxHashLen, "credential hash"))
	buf, limit := u32(stack[5]), u32(stack[6])
	view(mem, buf, limit)
	var record []byte
	ok := false
	if x.creds != nil {
		record, ok = x.creds.LookupCredential(kind, id, hash)
	}
	if !ok {
		stack[0] = api.EncodeI32(-1)
		return
	}
	stack[0] = uint64(writeValue(mem, buf, limit, record))
}

// authenticate returns a verdict for the presented credential and, when it is valid for the API being called, sets
// the auth.* properties. Without a credential store every credential is unknown.
func authenticate(ctx context.Context, mod api.Module, stack []uint64) {
	x := stateOf(ctx).exchange(abi.FuncAuthenticate)
	cred := readString(mod.Memory(), u32(stack[1]), u32(stack[2]), maxValueLen, "credential")
	verdict := abi.AuthUnknown
	if x.creds != nil {
		var who Identity
		verdict, who = x.creds.Authenticate(u32(stack[0]), cred)
		if verdict == abi.AuthOK {
			x.SetIdentity(who)
		}
	}
	stack[0] = api.EncodeI32(verdict)
}

func skipResponse(ctx context.Context, _ api.Module, _ []uint64) {
	st := stateOf(ctx)
	if st.phase != phaseRequest {
		trap("skip_response outside handle_request")
	}
	st.skip = true
}

// responseAnyInstance records, during initialisation, that the guest's handle_response may run on any instance.
func responseAnyInstance(ctx context.Context, _ api.Module, _ []uint64) {
	st := stateOf(ctx)
	if st.phase != phaseInit {
		trap("response_any_instance outside initialisation")
	}
	st.anyInstance = true
}
