// Command backend is the upstream of Portico's load benchmarks: a net/http server answering every request with a
// small fixed JSON body, cheap on purpose so that what is measured is the gateway in front of it.
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
)

var body = []byte(`{"id":42,"service":"echo","ok":true,"items":[1,2,3],"msg":"hello from backend"}` + "\n")

func main() {
	addr := flag.String("addr", "127.0.0.1:18080", "listen address (loopback only)")
	flag.Parse()
	clen := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd["Content-Type"] = []string{"application/json"}
		hd["Content-Length"] = []string{clen}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	log.Fatal((&http.Server{Addr: *addr, Handler: h}).ListenAndServe())
}
