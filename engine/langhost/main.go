// Command pulumi-language-python is this project's Python language host for the Pulumi CLI.
//
// Pulumi's own host (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is a
// module of its own that the Go module proxy does not serve at any version (docs/engine.md has
// the probes), and the last host published inside sdk/v3 (v3.79.0) predates the protocol a
// current CLI speaks: it ignores runtime options and cannot start policy packs. So the project
// serves the LanguageRuntime protocol itself, on Pulumi's own packages at the CLI's release:
// the generated protocol (sdk/v3/proto/go), its RPC helpers (rpcutil) and its Python toolchain
// logic (sdk/v3/python/toolchain: virtualenv, pip, poetry and uv). What is ours is only the
// mapping from requests to Python processes:
//
//   - Run starts `python -u pulumi-language-python-exec --monitor … PROGRAM` (the executor sits
//     next to this binary) with the stack's configuration in PULUMI_CONFIG, as Pulumi's host does;
//   - RunPlugin starts policy packs (`python -u -m pulumi.policy ENGINE DIR`) and Python plugins;
//   - GetRequiredPackages reports the resource plugins of installed Pulumi packages, read from
//     their pulumi-plugin.json files;
//   - InstallDependencies, About and GetProgramDependencies use the toolchain.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
	// bailExitCode is what the executor exits with after it has reported the error itself, so
	// the engine shows that report and nothing more (the same code Pulumi's host recognises).
	bailExitCode = 32
)

// pluginListing prints one JSON object per installed distribution that ships a
// pulumi-plugin.json, which is how Pulumi packages declare the resource plugin they need.
const pluginListing = `
import importlib.metadata, json, sys
seen = set()
for dist in importlib.metadata.distributions():
    for file in dist.files or ():
        if file.name != "pulumi-plugin.json":
            continue
        path = str(dist.locate_file(file))
        if path in seen:
            continue
        seen.add(path)
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except (OSError, ValueError):
            continue
        if data.get("resource") is False:
            continue
        data.setdefault("name", dist.metadata["Name"].removeprefix("pulumi_").removeprefix("pulumi-"))
        data.setdefault("version", dist.version)
        print(json.dumps(data))
`

func main() {
	var tracing, root, virtualenv, executor string
	flag.StringVar(&tracing, "tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.StringVar(&root, "root", "", "Project root (older CLIs pass it; current ones send it per request)")
	flag.StringVar(&virtualenv, "virtualenv", "", "Virtual environment (older CLIs pass it)")
	flag.StringVar(&executor, "use-executor", "", "Use this executor instead of the one next to the binary")
	flag.Parse()
	logging.InitLogging(false, 0, false)

	if executor == "" {
		self, err := os.Executable()
		if err != nil {
			cmdutil.Exit(fmt.Errorf("could not determine this executable: %w", err))
		}
		executor = filepath.Join(filepath.Dir(self), executorName)
	}
	if _, err := os.Stat(executor); err != nil {
		cmdutil.Exit(fmt.Errorf("missing executor %s: %w", executor, err))
	}

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelled)
	}()
	if engineAddress != "" {
		// Stop when the engine goes away, so no host outlives its CLI.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start the health check: %w", err))
		}
	}

	host := &languageHost{
		executor:      executor,
		engineAddress: engineAddress,
		tracing:       tracing,
		legacyRoot:    root,
		legacyVenv:    virtualenv,
	}
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
	engineAddress string
	tracing       string
	legacyRoot    string
	legacyVenv    string
}

// programInfo is the part of a request's ProgramInfo the toolchain needs.
type programInfo struct {
	root, programDir, entryPoint string
	options                      map[string]any
}

func (h *languageHost) info(info *pulumirpc.ProgramInfo, fallbackDir string) programInfo {
	result := programInfo{
		root:       info.GetRootDirectory(),
		programDir: info.GetProgramDirectory(),
		entryPoint: info.GetEntryPoint(),
		options:    map[string]any{},
	}
	if options := info.GetOptions(); options != nil {
		result.options = options.AsMap()
	}
	if result.root == "" {
		result.root = firstNonEmpty(h.legacyRoot, fallbackDir)
	}
	if result.programDir == "" {
		result.programDir = firstNonEmpty(fallbackDir, result.root)
	}
	if result.entryPoint == "" {
		result.entryPoint = "."
	}
	if _, set := result.options["virtualenv"]; !set && h.legacyVenv != "" {
		result.options["virtualenv"] = h.legacyVenv
	}
	return result
}

// toolchain resolves the `runtime.options` of Pulumi.yaml (or PulumiPolicy.yaml) the way
// Pulumi's host reads them: `toolchain` pip (default), poetry or uv, and `virtualenv`.
func (p programInfo) toolchain() (toolchain.Toolchain, error) {
	options := toolchain.PythonOptions{Root: p.root, ProgramDir: p.programDir}
	if venv, ok := p.options["virtualenv"].(string); ok {
		options.Virtualenv = venv
	}
	switch name, _ := p.options["toolchain"].(string); strings.ToLower(name) {
	case "", "pip":
		options.Toolchain = toolchain.Pip
	case "poetry":
		options.Toolchain = toolchain.Poetry
	case "uv":
		options.Toolchain = toolchain.Uv
	default:
		return nil, fmt.Errorf("runtime option toolchain is %q; allowed: pip, poetry or uv", name)
	}
	return toolchain.ResolveToolchain(options)
}

func (h *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// installedPlugins lists the resource plugins the virtual environment's Pulumi packages need.
func (h *languageHost) installedPlugins(ctx context.Context, info programInfo) ([]map[string]any, error) {
	tc, err := info.toolchain()
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	cmd, err := tc.Command(ctx, "-c", pluginListing)
	if err != nil {
		return nil, err
	}
	cmd.Dir = info.programDir
	output, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the Pulumi packages installed for %s: %w", info.programDir, describe(err))
	}
	var plugins []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(output)), "\n") {
		if line == "" {
			continue
		}
		var plugin map[string]any
		if err := json.Unmarshal([]byte(line), &plugin); err != nil {
			return nil, fmt.Errorf("reading a pulumi-plugin.json: %w", err)
		}
		plugins = append(plugins, plugin)
	}
	return plugins, nil
}

func text(value any) string {
	if s, ok := value.(string); ok {
		return s
	}
	return ""
}

func (h *languageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	packages, err := h.requiredPackages(ctx, h.info(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

// GetRequiredPlugins answers older CLIs, which ask for plugins, not packages: the same list,
// without parameterizations.
func (h *languageHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	packages, err := h.requiredPackages(ctx, h.info(req.GetInfo(), req.GetPwd())) //nolint:staticcheck
	if err != nil {
		return nil, err
	}
	result := make([]*pulumirpc.PluginDependency, 0, len(packages))
	for _, pkg := range packages {
		result = append(result, &pulumirpc.PluginDependency{
			Kind: pkg.GetKind(), Name: pkg.GetName(), Version: pkg.GetVersion(), Server: pkg.GetServer(),
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: result}, nil
}

// requiredPackages turns the installed plugins into package dependencies.
func (h *languageHost) requiredPackages(
	ctx context.Context, info programInfo,
) ([]*pulumirpc.PackageDependency, error) {
	plugins, err := h.installedPlugins(ctx, info)
	if err != nil {
		return nil, err
	}
	packages := make([]*pulumirpc.PackageDependency, 0, len(plugins))
	for _, plugin := range plugins {
		dependency := &pulumirpc.PackageDependency{
			Kind:    "resource",
			Name:    text(plugin["name"]),
			Version: strings.TrimPrefix(text(plugin["version"]), "v"),
			Server:  text(plugin["server"]),
		}
		if parameterization, ok := plugin["parameterization"].(map[string]any); ok {
			value, _ := parameterization["value"].(string)
			dependency.Parameterization = &pulumirpc.PackageParameterization{
				Name:    text(parameterization["name"]),
				Version: strings.TrimPrefix(text(parameterization["version"]), "v"),
				Value:   []byte(value),
			}
		}
		packages = append(packages, dependency)
	}
	return packages, nil
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := h.info(req.GetInfo(), req.GetPwd())
	tc, err := info.toolchain()
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	program := req.GetProgram() //nolint:staticcheck // filled by every CLI; Info is newer
	if program == "" {
		program = filepath.Join(info.programDir, info.entryPoint)
	}
	args := []string{"-u", h.executor}
	add := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	add("organization", req.GetOrganization())
	add("root_directory", info.root)
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("serialising the configuration: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serialising the secret keys: %w", err)
	}

	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secrets))
	cmd.Dir = req.GetPwd()
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err = cmd.Run()
	// The executor's output goes straight to the engine; flush ours so nothing is lost if the
	// program crashed fast.
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if status, ok := exitErr.Sys().(syscall.WaitStatus); ok && status.ExitStatus() == bailExitCode {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the executor %s: %v", h.executor, err)}, nil
}

func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	info := h.info(req.GetInfo(), req.GetDirectory()) //nolint:staticcheck // older CLIs send Directory
	tc, err := info.toolchain()
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	fmt.Fprintf(stdout, "Installing dependencies of %s\n", info.programDir)
	if err := tc.InstallDependencies(server.Context(), info.programDir, req.GetUseLanguageVersionTools(),
		true, stdout, stderr); err != nil {
		return err
	}
	return closer.Close()
}

func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	tc, err := h.info(req.GetInfo(), "").toolchain()
	if err != nil {
		return nil, err
	}
	about, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: about.PythonExecutable,
		Version:    about.PythonVersion.String(),
		Metadata:   map[string]string{"host": "asana-provisioning engine/langhost"},
	}, nil
}

func (h *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, err := h.info(req.GetInfo(), req.GetPwd()).toolchain() //nolint:staticcheck
	if err != nil {
		return nil, err
	}
	packages, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	result := make([]*pulumirpc.DependencyInfo, 0, len(packages))
	for _, pkg := range packages {
		result = append(result, &pulumirpc.DependencyInfo{Name: pkg.Name, Version: pkg.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: result}, nil
}

// RunPlugin starts a plugin written in Python: a policy pack (kind "analyzer") through the SDK's
// `pulumi.policy` entry point, anything else as a program run from its directory.
func (h *languageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	info := h.info(req.GetInfo(), req.GetPwd())
	tc, err := info.toolchain()
	if err != nil {
		return err
	}
	if err := tc.ValidateVenv(server.Context()); err != nil {
		return err
	}
	program := req.GetProgram() //nolint:staticcheck
	if program == "" {
		program = filepath.Join(info.programDir, info.entryPoint)
	}
	var cmd *exec.Cmd
	if req.GetKind() == "analyzer" {
		args := append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...)
		cmd, err = tc.Command(server.Context(), append(args, program)...)
	} else {
		cmd, err = tc.Command(server.Context(), append([]string{"-u", program}, req.GetArgs()...)...)
	}
	if err != nil {
		return err
	}
	environment := req.GetEnv()
	if len(environment) == 0 {
		environment = os.Environ()
	}
	if venv, err := tc.VirtualEnvPath(server.Context()); err == nil && venv != "" {
		environment = toolchain.ActivateVirtualEnv(environment, venv)
	}
	cmd.Env = environment
	cmd.Dir = req.GetPwd()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return server.Send(&pulumirpc.RunPluginResponse{
				Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitErr.ExitCode())},
			})
		}
		return fmt.Errorf("could not start the plugin %s: %w", program, err)
	}
	return closer.Close()
}

func firstNonEmpty(values ...string) string {
	for _, value := range values {
		if value != "" {
			return value
		}
	}
	return ""
}

// describe adds a failed command's standard error to its error, which says only "exit status N".
func describe(err error) error {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && len(exitErr.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exitErr.Stderr)))
	}
	return err
}
