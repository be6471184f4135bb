package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os/exec"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
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

// GetRequiredPackages lists the resource plugins the program's Pulumi packages need. A missing
// virtual environment is created first and the program's requirements installed into it, the
// progress shown as the engine's ephemeral messages (upstream main.go, GetRequiredPackages:
// toolchain EnsureVenv with the engine's log writers).
func (h *languageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	_, tc, err := resolve(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	stdout, stderr, closeWriters, err := h.engineWriters(ctx)
	if err != nil {
		return nil, err
	}
	defer closeWriters()
	if err := tc.EnsureVenv(ctx, req.GetInfo().GetProgramDirectory(), false, true, stdout, stderr); err != nil {
		return nil, err
	}
	plugins, err := installedPlugins(ctx, tc, req.GetInfo().GetProgramDirectory())
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
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

// GetRequiredPlugins is the older CLIs' question; current ones ask GetRequiredPackages, and
// upstream's host answers this one Unimplemented (upstream main.go, GetRequiredPlugins).
func (h *languageHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return nil, status.Errorf(codes.Unimplemented, "method GetRequiredPlugins not implemented")
}

// installedPlugins runs pluginListing in the program's environment.
func installedPlugins(ctx context.Context, tc toolchain.Toolchain, dir string) ([]map[string]any, error) {
	cmd, err := tc.Command(ctx, "-c", pluginListing)
	if err != nil {
		return nil, err
	}
	cmd.Dir = dir
	output, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the Pulumi packages installed for %s: %w", dir, describe(err))
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

// InstallDependencies is `pulumi install`: the toolchain creates the virtual environment and
// installs the requirements; a plugin that is a buildable package is installed itself too
// (upstream main.go, InstallDependencies).
func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	_, tc, err := resolve(req.GetInfo(), req.GetIsPlugin())
	if err != nil {
		return err
	}
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	ctx, dir := server.Context(), req.GetInfo().GetProgramDirectory()
	fmt.Fprint(stdout, "Installing dependencies...\n\n")
	if req.GetIsPlugin() {
		buildable, err := toolchain.IsBuildablePackage(dir)
		if err != nil {
			return fmt.Errorf("checking if plugin is a buildable package: %w", err)
		}
		if buildable {
			if err := tc.InstallPackage(ctx, dir, req.GetUseLanguageVersionTools(), true, stdout, stderr); err != nil {
				return err
			}
		}
	}
	if err := tc.InstallDependencies(ctx, dir, req.GetUseLanguageVersionTools(), true, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprint(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}

// About is `pulumi about`'s language section (upstream main.go, About).
func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	options := toolchain.PythonOptions{Toolchain: toolchain.Pip}
	if req.GetInfo() != nil {
		var err error
		if options, err = pythonOptions(req.GetInfo(), false); err != nil {
			return nil, err
		}
	}
	tc, err := toolchain.ResolveToolchain(options)
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
		Metadata: map[string]string{
			"toolchain":        toolchain.Name(options.Toolchain),
			"toolchainVersion": about.ToolchainVersion.String(),
			"typechecker":      toolchain.TypeCheckerName(options.Typechecker),
		},
	}, nil
}

// GetProgramDependencies lists the program's installed packages (upstream main.go).
func (h *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	_, tc, err := resolve(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	packages, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("failed to get python dependencies: %w", err)
	}
	result := make([]*pulumirpc.DependencyInfo, 0, len(packages))
	for _, pkg := range packages {
		result = append(result, &pulumirpc.DependencyInfo{Name: pkg.Name, Version: pkg.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: result}, nil
}

// engineWriters are two writers that show what they are given as the engine's ephemeral info
// and error messages, one stream (upstream main.go, createEngineWriters and logWriter).
func (h *languageHost) engineWriters(ctx context.Context) (io.Writer, io.Writer, func(), error) {
	if h.engineAddress == "" {
		return io.Discard, io.Discard, func() {}, nil
	}
	conn, err := grpc.NewClient(h.engineAddress,
		grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("language host could not make connection to engine: %w", err)
	}
	client := pulumirpc.NewEngineClient(conn)
	stream := rand.Int31() //nolint:gosec // a stream id, not a secret
	writer := func(severity pulumirpc.LogSeverity) io.Writer {
		return engineLog{ctx: ctx, client: client, stream: stream, severity: severity}
	}
	return writer(pulumirpc.LogSeverity_INFO), writer(pulumirpc.LogSeverity_ERROR), func() { _ = conn.Close() }, nil
}

type engineLog struct {
	ctx      context.Context
	client   pulumirpc.EngineClient
	stream   int32
	severity pulumirpc.LogSeverity
}

func (w engineLog) Write(p []byte) (int, error) {
	_, err := w.client.Log(w.ctx, &pulumirpc.LogRequest{
		Message:   strings.ToValidUTF8(string(p), "\uFFFD"),
		Ephemeral: true,
		StreamId:  w.stream,
		Severity:  w.severity,
	})
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

func text(value any) string {
	if s, ok := value.(string); ok {
		return s
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
