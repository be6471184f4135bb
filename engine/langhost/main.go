// Command pulumi-language-python is this project's Python language host for the Pulumi CLI.
//
// Pulumi's own host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is a
// module of its own that the Go module proxy does not serve at any version (docs/engine.md has
// the probes), and the last host published inside sdk/v3 (v3.79.0) predates the protocol a
// current CLI speaks. So the project serves the LanguageRuntime protocol itself, on Pulumi's own
// packages at the CLI's release: the generated protocol (sdk/v3/proto/go), its RPC helpers
// (rpcutil), its Python toolchain logic (sdk/v3/python/toolchain: virtualenv, pip, poetry, uv),
// its policy-pack proxy (sdk/v3's PolicyProxy) and its Python code generator
// (pkg/v3/codegen/python). What is ours is the mapping from requests to Python processes, written
// to behave as upstream's host does wherever a user can see it. Each behaviour names the upstream
// file it follows; "upstream main.go" below is sdk/python/cmd/pulumi-language-python/main.go of
// github.com/pulumi/pulumi. The table in docs/engine.md lists them with the test that proves each.
//
// The files of this package:
//   - main.go: the server, the runtime options of Pulumi.yaml, Handshake and Cancel;
//   - run.go: Run, which starts the executor (bin/pulumi-language-python-exec);
//   - plugin.go: RunPlugin, policy packs and Python plugins;
//   - environment.go: PULUMI_CONFIG through a pipe, for a configuration of any size;
//   - packages.go: GetRequiredPackages, InstallDependencies, About, GetProgramDependencies;
//   - codegen.go: GenerateProgram, GenerateProject and GeneratePackage (`pulumi import`, `convert`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	executorName = "pulumi-language-python-exec"
	// bailExitCode is what the executor exits with after it has shown the user the error
	// itself, so the engine adds nothing (upstream main.go:
	// pythonProcessExitedAfterShowingUserActionableMessage).
	bailExitCode = 32
	// cancelGrace is how long a program has after SIGINT before it is killed (upstream main.go,
	// Run: cmd.Cancel sends os.Interrupt, cmd.WaitDelay = 5 * time.Second).
	cancelGrace = 5 * time.Second
)

func main() {
	var tracing, executor string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.StringVar(&executor, "use-executor", "", "Use this executor instead of the one next to the binary")
	showVersion := flag.Bool("version", false, "Print the plugin version and exit")
	// Older CLIs pass these; current ones send the root and the options with every request.
	flag.String("root", "", "Project root (ignored: sent per request)")
	flag.String("virtualenv", "", "Virtual environment (ignored: sent per request)")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	logging.InitLogging(false, 0, false)

	// The executor sits next to this binary (upstream main.go, main: pythonDefaultExec), and so
	// does our launcher (environment.go).
	self, err := os.Executable()
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not determine this executable: %w", err))
	}
	if executor == "" {
		executor = filepath.Join(filepath.Dir(self), executorName)
	}
	launcher := filepath.Join(filepath.Dir(self), launcherName)
	for _, script := range []string{executor, launcher} {
		if _, err := os.Stat(script); err != nil {
			cmdutil.Exit(fmt.Errorf("missing %s: %w", script, err))
		}
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}
	// An interrupt stops the server, as upstream's does (upstream main.go, main).
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	cancelled := make(chan bool)
	go func() {
		<-ctx.Done()
		cancel()
		close(cancelled)
	}()
	if engineAddress != "" {
		// Stop when the engine goes away, so no host outlives its CLI.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start the health check: %w", err))
		}
	}

	host := newLanguageHost(executor, launcher, engineAddress, tracing, cancel)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelled,
		Init: func(server *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(server, host)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the language host: %w", err))
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host stopped serving: %w", err))
	}
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	executor      string
	launcher      string
	engineAddress string
	tracing       string
	// stop ends the server; the health check a Handshake starts calls it when the engine goes.
	stop func()
	// cancelled ends every running program when the engine calls Cancel (upstream main.go:
	// cancelCtx, cancelFunc).
	cancelled context.Context
	cancel    context.CancelFunc
}

func newLanguageHost(executor, launcher, engineAddress, tracing string, stop func()) *languageHost {
	cancelled, cancel := context.WithCancel(context.Background())
	return &languageHost{
		executor:      executor,
		launcher:      launcher,
		engineAddress: engineAddress,
		tracing:       tracing,
		stop:          stop,
		cancelled:     cancelled,
		cancel:        cancel,
	}
}

// pythonOptions reads the `runtime.options` of Pulumi.yaml (or PulumiPolicy.yaml) the way
// upstream's host does (upstream main.go, parseOptions): `virtualenv`, `toolchain` (pip, poetry
// or uv; unset, the toolchain package detects it from a uv.lock or poetry.lock, else pip) and
// `typechecker` (mypy or pyright). A plugin other than a policy pack defaults to the `venv`
// virtual environment: plugins never run in the ambient Python.
func pythonOptions(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, error) {
	options := toolchain.PythonOptions{Root: info.GetRootDirectory(), ProgramDir: info.GetProgramDirectory()}
	raw := map[string]any{}
	if info.GetOptions() != nil {
		raw = info.GetOptions().AsMap()
	}
	if value, ok := raw["virtualenv"]; ok {
		venv, isString := value.(string)
		if !isString {
			return options, errors.New("virtualenv option must be a string")
		}
		options.Virtualenv = venv
	}
	if value, ok := raw["typechecker"]; ok {
		name, isString := value.(string)
		if !isString {
			return options, errors.New("typechecker option must be a string")
		}
		switch name {
		case "mypy":
			options.Typechecker = toolchain.TypeCheckerMypy
		case "pyright":
			options.Typechecker = toolchain.TypeCheckerPyright
		default:
			return options, fmt.Errorf("unsupported typechecker option: %s", name)
		}
	}
	if value, ok := raw["toolchain"]; ok {
		name, isString := value.(string)
		if !isString {
			return options, errors.New("toolchain option must be a string")
		}
		switch name {
		case "pip":
			options.Toolchain = toolchain.Pip
		case "poetry":
			options.Toolchain = toolchain.Poetry
		case "uv":
			options.Toolchain = toolchain.Uv
		default:
			return options, fmt.Errorf("unsupported toolchain option: %s", name)
		}
	}
	if isPlugin && (options.Toolchain == toolchain.Pip || options.Toolchain == toolchain.Auto) &&
		options.Virtualenv == "" {
		options.Virtualenv = "venv"
	}
	return options, nil
}

// resolve is pythonOptions followed by the toolchain package's choice of toolchain.
func resolve(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.PythonOptions, toolchain.Toolchain, error) {
	options, err := pythonOptions(info, isPlugin)
	if err != nil {
		return options, nil, err
	}
	tc, err := toolchain.ResolveToolchain(options)
	return options, tc, err
}

// Handshake records the engine's address and watches the engine's health, as upstream's does
// (upstream main.go, Handshake); here a failed health check also stops the server, so no host
// outlives its CLI.
func (h *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	if h.engineAddress != "" {
		if err := rpcutil.Healthcheck(context.Background(), h.engineAddress, 5*time.Minute, h.stop); err != nil {
			return nil, fmt.Errorf("could not start health check host RPC server: %w", err)
		}
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// Cancel ends every program this host runs: SIGINT first, SIGKILL after cancelGrace (upstream
// main.go, Cancel and Run).
func (h *languageHost) Cancel(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}
