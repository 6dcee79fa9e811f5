using System.Collections.Immutable;
using System.Text.Json;
using KillSafe.Verification;
using KillSafe.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace KillSafe.EndToEnd.Tests;

/// <summary>Where the repository is: the directory above the tests that holds Analyzers.sln.</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Analyzers.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("Analyzers.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A scratch directory under /tmp named after this test process, removed on dispose.</summary>
public sealed class ScratchDirectory : IDisposable
{
    private static int _counter;

    public ScratchDirectory(string purpose)
    {
        // Unique per process and per instance: parallel test runs never share paths.
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"killsafe-{purpose}-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>Runs the dotnet CLI as a user would, with the test host's MSBuild settings removed.</summary>
public static class DotnetCli
{
    public static string Host => KillRunOptions.DotnetHost;

    public static (int ExitCode, string Output) Run(string workingDirectory, params string[] arguments)
    {
        var environment = new Dictionary<string, string?>
        {
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1", // no build server outlives the test
            ["DOTNET_EnableDiagnostics"] = "0",
        };
        foreach (var key in new[] { "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly", "VSTEST_HOST_DEBUG" })
            environment[key] = null; // set by the test host's own MSBuild; a user's shell has none of them
        // Every dotnet build leaves empty directories in TMPDIR (MSBuild's): keep them in a scratch directory.
        using var temp = new ScratchDirectory("dotnet-tmp");
        environment["TMPDIR"] = temp.Path + "/";
        using var child = ChildProcess.Start(Host, arguments, environment, workingDirectory);
        var exitCode = child.WaitForExitAsync(TimeSpan.FromMinutes(5)).GetAwaiter().GetResult();
        return (exitCode, child.Output);
    }
}

/// <summary>
/// killsafe as a dotnet tool, for the tests of one class: packed into a local feed and installed from that feed
/// only, as a user would, into a folder of its own (its own bin and obj, so builds beside it do not clash).
/// </summary>
public abstract class InstalledToolFixture : IDisposable
{
    private readonly ScratchDirectory _scratch;

    /// <param name="purpose">Names the scratch folder.</param>
    /// <param name="packs">Each <c>dotnet pack</c> of src/KillSafe.Cli: what it makes, and its own arguments.</param>
    protected InstalledToolFixture(string purpose, Func<(string What, string[] Arguments)[]> packs)
    {
        _scratch = new ScratchDirectory(purpose);
        // xUnit does not dispose a fixture whose constructor throws: the scratch folder goes here then.
        try
        {
            var feed = _scratch.File("feed");
            var project = Path.Combine(Repo.Root, "src", "KillSafe.Cli");
            var common = new[] { "-c", "Release", "-nologo", "-p:KillSafeAot=true", "--artifacts-path", _scratch.File("artifacts"), "-o", feed };
            foreach (var (what, arguments) in packs())
                Run(what, new[] { "pack", project }.Concat(arguments).Concat(common).ToArray());
            Packages = Directory.GetFiles(feed, "*.nupkg").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

            var config = _scratch.File("nuget.config");
            File.WriteAllText(config, $"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration><packageSources><clear /><add key=\"local\" value=\"{feed}\" /></packageSources></configuration>\n");
            var tools = _scratch.File("tools");
            Run("dotnet tool install", "tool", "install", "KillSafe.Cli", "--tool-path", tools, "--configfile", config);
            Program = Path.Combine(tools, "killsafe");
        }
        catch
        {
            _scratch.Dispose();
            throw;
        }
    }

    /// <summary>The file names of the packages the packs wrote, in order.</summary>
    public IReadOnlyList<string> Packages { get; }

    /// <summary>The installed command.</summary>
    public string Program { get; }

    /// <summary>What the installed command runs with, besides its state folder.</summary>
    protected virtual IReadOnlyDictionary<string, string?> ProgramEnvironment { get; } = new Dictionary<string, string?>();

    /// <summary>Runs the installed command with its state in <paramref name="stateDirectory"/>.</summary>
    public (int ExitCode, string Output) Start(string stateDirectory, params string[] args)
    {
        var environment = new Dictionary<string, string?>(ProgramEnvironment) { ["KILLSAFE_STATE_DIR"] = stateDirectory };
        using var run = ChildProcess.Start(Program, args, environment);
        var exitCode = run.WaitForExitAsync(TimeSpan.FromMinutes(2)).GetAwaiter().GetResult();
        return (exitCode, run.Output);
    }

    /// <summary>The JSON document in a command's output (which may have lines before it).</summary>
    public static JsonElement Document(string output)
    {
        int start = output.IndexOf("{\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "no JSON document in:\n" + output);
        using var document = JsonDocument.Parse(output[start..(output.LastIndexOf('}') + 1)]);
        return document.RootElement.Clone();
    }

    /// <summary>A folder with one C# file that binds a Unix socket path and never removes it: KS2001 fires on it.</summary>
    public static string CodeWithAStaleSocketPath(ScratchDirectory scratch)
    {
        var code = scratch.File("code");
        Directory.CreateDirectory(code);
        File.WriteAllText(Path.Combine(code, "Program.cs"), """
            using System.Net.Sockets;
            var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint("/run/example/tool-package-test.sock"));
            listener.Listen(1);
            """);
        return code;
    }

    public void Dispose() => _scratch.Dispose();

    private static void Run(string what, params string[] args)
    {
        var (exitCode, log) = DotnetCli.Run(Repo.Root, args);
        if (exitCode != 0)
            throw new InvalidOperationException($"{what} failed (dotnet {string.Join(' ', args)}):\n{log}");
    }
}

/// <summary>Compiles a C# program in memory and writes it out so that <c>dotnet program.dll</c> runs it.</summary>
public static class InMemoryProgram
{
    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    /// <summary>The SDK reference pack plus Tmds.LibC, which the raw-socket programs use.</summary>
    public static ImmutableArray<MetadataReference> References { get; } = TestReferences.NetCore.Add(TestReferences.TmdsLibC);

    public static CSharpCompilation Compilation(string source, string name) =>
        CSharpCompilation.Create(
            name,
            new[] { CSharpSyntaxTree.ParseText(source, ParseOptions, path: name + ".cs") },
            References,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Emits <paramref name="source"/> as <paramref name="name"/>.dll into <paramref name="directory"/>; throws on any compiler error.</summary>
    /// <param name="aspNetCore">Compile against ASP.NET Core too (the Generic Host) and run on its shared framework.</param>
    public static string Build(string source, string name, string directory, bool aspNetCore = false)
    {
        var compilation = Compilation(source, name);
        if (aspNetCore)
            compilation = compilation.AddReferences(TestReferences.AspNetCore);
        var dll = Path.Combine(directory, name + ".dll");
        var result = compilation.Emit(dll);
        if (!result.Success)
            throw new InvalidOperationException("program does not compile:\n" + string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)) + "\n" + source);
        // The program finds Tmds.LibC next to itself (no deps.json: the app directory is probed).
        var tmds = typeof(Tmds.Linux.LibC).Assembly.Location;
        var tmdsCopy = Path.Combine(directory, Path.GetFileName(tmds));
        if (!File.Exists(tmdsCopy))
            File.Copy(tmds, tmdsCopy);
        var framework = aspNetCore ? "Microsoft.AspNetCore.App" : "Microsoft.NETCore.App"; // ASP.NET Core brings NETCore.App along
        File.WriteAllText(
            Path.Combine(directory, name + ".runtimeconfig.json"),
            "{\"runtimeOptions\":{\"tfm\":\"" + TestReferences.TargetFramework + "\",\"framework\":{\"name\":\"" + framework + "\",\"version\":\"" + Environment.Version + "\"}}}");
        return dll;
    }

    /// <summary>The environment for children: no diagnostics IPC, so the runtime leaves no files of its own (docs/linux-facts.md).</summary>
    public static IReadOnlyDictionary<string, string?> ChildEnvironment { get; } = new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = "0" };
}

/// <summary>Runs an analyzer and applies its code fix in a real workspace, as the IDE does.</summary>
public static class AnalyzerRun
{
    public static async Task<ImmutableArray<Diagnostic>> DiagnosticsAsync(string source, DiagnosticAnalyzer analyzer)
    {
        var compilation = InMemoryProgram.Compilation(source, "Program");
        return await compilation.WithAnalyzers(ImmutableArray.Create(analyzer)).GetAnalyzerDiagnosticsAsync();
    }

    /// <summary>Applies the first fix <paramref name="fix"/> offers for each diagnostic of <paramref name="analyzer"/> (Fix All in the document).</summary>
    public static async Task<string> FixAllAsync(string source, DiagnosticAnalyzer analyzer, CodeFixProvider fix, string? equivalenceKey = null)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "Program", "Program", LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.ConsoleApplication, allowUnsafe: true),
                parseOptions: InMemoryProgram.ParseOptions,
                metadataReferences: InMemoryProgram.References));
        var documentId = DocumentId.CreateNewId(projectId);
        solution = solution.AddDocument(documentId, "Program.cs", SourceText.From(source));
        var document = solution.GetDocument(documentId)!;
        var compilation = (await document.Project.GetCompilationAsync())!;
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create(analyzer)).GetAnalyzerDiagnosticsAsync();
        if (diagnostics.IsEmpty)
            throw new InvalidOperationException("the analyzer reported nothing to fix");

        CodeAction? action = null;
        var context = new CodeFixContext(document, diagnostics[0], (a, _) => action ??= equivalenceKey is null || a.EquivalenceKey == equivalenceKey ? a : null, CancellationToken.None);
        await fix.RegisterCodeFixesAsync(context);
        if (action is null)
            throw new InvalidOperationException("the code fix offered no action");

        var fixAll = fix.GetFixAllProvider()!;
        var provider = new FixedDiagnostics(document, diagnostics);
        var fixAllContext = new FixAllContext(document, fix, FixAllScope.Document, action.EquivalenceKey, fix.FixableDiagnosticIds, provider, CancellationToken.None);
        var fixAllAction = (await fixAll.GetFixAsync(fixAllContext))!;
        var operations = await fixAllAction.GetOperationsAsync(CancellationToken.None);
        var changed = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        return (await changed.GetDocument(documentId)!.GetTextAsync()).ToString();
    }

    private sealed class FixedDiagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly Document _document;
        private readonly ImmutableArray<Diagnostic> _diagnostics;

        public FixedDiagnostics(Document document, ImmutableArray<Diagnostic> diagnostics)
        {
            _document = document;
            _diagnostics = diagnostics;
        }

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult<IEnumerable<Diagnostic>>(document.Id == _document.Id ? _diagnostics : Array.Empty<Diagnostic>());

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(Array.Empty<Diagnostic>());
    }
}
