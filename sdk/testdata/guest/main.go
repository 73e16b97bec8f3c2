//go:build wasip1

// Command guest is a policy that exercises every view of package sdk, for the SDK's test against the real host
// (sdk/host_test.go). The request header x-mode selects what it does.
package main

import (
	"strconv"
	"strings"

	"portico/plugins/abi"
	"portico/sdk"
)

var config string

func init() {
	config = string(sdk.Config())
	sdk.EnableFeatures(abi.FeatureBufferResponse)
	sdk.HandleRequest(handleRequest)
	sdk.HandleResponse(handleResponse)
}

func main() {}

func handleRequest(req sdk.Request, resp sdk.Response) (next bool, reqCtx uint32) {
	mode, _ := req.Header("x-mode")
	switch mode {
	case "echo":
		echo(req, resp)
		return false, 0
	case "peek":
		peek(req, resp)
		return false, 0
	case "edit":
		edit(req)
		return true, 7
	case "error":
		resp.WriteError(429, "rate_limited", `slow "down"`)
		return false, 0
	case "skip":
		sdk.SkipResponse()
	}
	return true, 0
}

// echo responds with what the views read.
func echo(req sdk.Request, resp sdk.Response) {
	_, missing := req.Header("x-missing")
	long, _ := req.Header("x-long")
	lines := []string{
		"method=" + req.Method(),
		"uri=" + req.URI(),
		"proto=" + req.ProtocolVersion(),
		"source=" + req.SourceAddr(),
		"names=" + strings.Join(req.Headers().Names(), ","),
		"multi=" + strings.Join(req.Headers().Values("x-multi"), "|"),
		"long=" + strconv.Itoa(len(long)),
		"missing=" + strconv.FormatBool(missing),
		"config=" + config,
		"api=" + sdk.Property(abi.PropAPIName),
		"unset=" + sdk.Property("no.such.property"),
		"body=" + string(req.Body()),
	}
	sdk.Logf(abi.LogInfo, "echo %d lines", len(lines))
	resp.SetStatus(201)
	resp.Headers().Set("x-echo", "1")
	resp.Headers().Add("x-echo", "2")
	resp.WriteBody([]byte(strings.Join(lines, "\n")))
}

// peek responds with what the zero-copy views read. Each view is turned into a string before the next read, which
// reuses the buffer; the copy returned by Header must survive those reads.
func peek(req sdk.Request, resp sdk.Response) {
	kept, _ := req.Header("x-multi")
	h := req.Headers()
	multi, n := h.Peek("x-multi")
	lines := []string{"multi=" + string(multi) + "/" + strconv.Itoa(n)}
	missing, n := h.Peek("x-missing")
	lines = append(lines, "missing="+string(missing)+"/"+strconv.Itoa(n))
	long, n := h.Peek("x-long")
	ls := strings.Count(string(long), "l")
	lines = append(lines, "long="+strconv.Itoa(len(long))+"/"+strconv.Itoa(n)+"/"+strconv.Itoa(ls))
	lines = append(lines, "api="+string(sdk.PeekProperty(abi.PropAPIName)))
	lines = append(lines, "unset="+string(sdk.PeekProperty("no.such.property")))
	token, _ := h.Peek("x-token")
	verdict := sdk.AuthenticateBytes(abi.CredentialBearer, token)
	lines = append(lines, "verdict="+strconv.Itoa(int(verdict)), "app="+sdk.Property(abi.PropAuthApp))
	lines = append(lines, "empty="+strconv.Itoa(int(sdk.AuthenticateBytes(abi.CredentialBearer, nil))))
	lines = append(lines, "kept="+kept)
	resp.WriteBody([]byte(strings.Join(lines, "\n")))
}

// edit changes everything the request view can change.
func edit(req sdk.Request) {
	req.SetMethod("POST")
	req.SetURI("/new/path?q=1")
	h := req.Headers()
	h.Set("x-set", "v")
	h.Add("x-multi", "c")
	h.Remove("x-drop")
	req.SetBody([]byte("new body"))
	sdk.SetProperty(abi.PropAuthApp, "app-7")
	sdk.Log(abi.LogWarn, "edited")
}

// handleResponse reports what it saw in response headers and, for the edit mode, wraps the upstream body.
func handleResponse(reqCtx uint32, req sdk.Request, resp sdk.Response, isError bool) {
	h := resp.Headers()
	h.Set("x-ctx", strconv.Itoa(int(reqCtx)))
	h.Set("x-is-error", strconv.FormatBool(isError))
	h.Set("x-upstream-status", strconv.Itoa(int(resp.StatusCode())))
	h.Set("x-method", req.Method())
	if reqCtx == 7 {
		body := resp.Body()
		resp.SetStatus(202)
		resp.WriteBody(append([]byte("wrapped:"), body...))
	}
}
