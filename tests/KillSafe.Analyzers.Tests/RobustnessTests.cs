using System.Collections.Immutable;
using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using KillSafe.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace KillSafe.Analyzers.Tests;

/// <summary>
/// Analyzers and code fixes run on code as it is while being typed: every prefix of a program cut at a
/// line boundary, programs with random tokens removed, and deeply recursive helpers. The assertion is
/// that nothing throws (no AD0001, no code-fix exception).
/// </summary>
public class RobustnessTests
{
    private const string Program = """
using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Tmds.Linux;
using static Tmds.Linux.LibC;

class Server : IDisposable
{
    const string SocketPath = "/run/app.sock";
    private readonly Socket _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly UnixDomainSocketEndPoint _endpoint;
    public string Path2 { get; } = SocketPath + ".2";

    public Server(string path) { _endpoint = new UnixDomainSocketEndPoint(path); Remove(path); }
    static void Remove(string file) { if (File.Exists(file)) File.Delete(file); }
    public void Start() => _socket.Bind(_endpoint);
    public void Start2(Socket s, string dir) { s.Bind(new UnixDomainSocketEndPoint(Path.Combine(dir, "a.sock"))); }
    static void Web(KestrelServerOptions o) => o.ListenUnixSocket(SocketPath);
    static unsafe void Raw(string path)
    {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr = default;
        Encoding.UTF8.GetBytes(path, new Span<byte>(addr.sun_path, 108));
        bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_un);
    }
    static unsafe void RawTcp()
    {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr = default;
        bind(fd, (sockaddr*)&addr, SizeOf.sockaddr_in);
        listen(fd, 4);
    }
    static void Managed()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.IP);
        s.LingerState = new LingerOption(true, 0);
        s.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 8080));
        s.Listen();
    }
    [System.Runtime.InteropServices.DllImport("libc")] static extern int shmget(int key, nuint size, int flags);
    [System.Runtime.InteropServices.DllImport("libpthread")] static extern IntPtr sem_open(string name, int flags, uint mode, uint value);
    [System.Runtime.InteropServices.DllImport("librt")] static extern int mq_open(string name, int flags, uint mode, IntPtr attributes);
    static void Ipc()
    {
        int id = shmget(0, 4096, 0x380);
        sem_open("/s", 0x40, 0x180, 1);
        File.WriteAllText("/dev/shm/state", "x");
        mq_open("/q", 0x42, 0x180, IntPtr.Zero);
        new System.Threading.Semaphore(0, 1, "named");
        System.Runtime.InteropServices.PosixSignalRegistration.Create((System.Runtime.InteropServices.PosixSignal)9, c => { });
    }
    public void Dispose() => _socket.Dispose();
}

class Region
{
    [System.Runtime.InteropServices.DllImport("libc")] static extern int shm_open(string name, int flags, uint mode);
    [System.Runtime.InteropServices.DllImport("libc")] static extern int shm_unlink(string name);
    public Region() => shm_open("/region", 0x42, 0x180);
    ~Region() => shm_unlink("/region");
    static void Main()
    {
        shm_open("/main", 0x42, 0x180);
        System.Diagnostics.Process.Start("helper");
        var scratch = Path.GetTempFileName();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Console.WriteLine("bye");
        if (File.Exists("/tmp/app.lock"))
            return;
        File.WriteAllText("/tmp/app.lock", "1");
        while (true)
            System.Threading.Thread.Sleep(1000);
        File.Delete("/tmp/app.lock");
        shm_unlink("/main");
    }
}

""";

    // Every analyzer and every code fix the packages ship, found by reflection so that new rules are covered.
    private static readonly DiagnosticAnalyzer[] Analyzers = typeof(StaleUnixSocketFileAnalyzer).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!).ToArray();

    private static readonly CodeFixProvider[] Fixes = typeof(DeleteStaleSocketFileCodeFix).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
        .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!).ToArray();

    private static IEnumerable<string> Variants()
    {
        var lines = Program.Split('\n');
        for (int i = 1; i <= lines.Length; i++)
            yield return string.Join("\n", lines.Take(i)); // every prefix, as typed top to bottom

        var tokens = CSharpSyntaxTree.ParseText(Program).GetRoot().DescendantTokens().ToList();
        var random = new Random(2001); // fixed seed: a failure reproduces
        for (int i = 0; i < 60; i++)
        {
            var drop = tokens[random.Next(tokens.Count)];
            yield return Program.Remove(drop.SpanStart, drop.Span.Length);
        }
    }

    [Fact]
    public async Task Analyzers_and_fixes_never_throw_on_incomplete_code()
    {
        // The complete program must give every analyzer and fix something to do, or this test would prove nothing.
        var (failuresOnComplete, reported) = await RunAsync(Program);
        Assert.Empty(failuresOnComplete);
        Assert.Equal(Analyzers.SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Where(id => id != "KS3004").OrderBy(id => id), reported.Distinct().OrderBy(id => id));

        var failures = new List<string>();
        foreach (var source in Variants())
        {
            foreach (var failure in (await RunAsync(source)).Failures)
                failures.Add(failure + "\n--- on ---\n" + source);
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(3)));
    }

    [Fact]
    public async Task Deep_and_recursive_helper_chains_do_not_overflow()
    {
        var chain = string.Join("\n", Enumerable.Range(0, 300).Select(i => $"    static void H{i}(string p) {{ H{i + 1}(p); }}"));
        var source = """
using System.IO;
using System.Net.Sockets;
class Deep
{

""" + chain + """

    static void H300(string p) { H0(p); File.Delete(p); }
    static void Loop(string p) { Loop(p); }
    void Start(Socket s, string path) { Loop(path); H0(path); s.Bind(new UnixDomainSocketEndPoint(path)); }
}

""";
        Assert.Empty((await RunAsync(source)).Failures);
    }

    private static async Task<(List<string> Failures, List<string> Reported)> RunAsync(string source)
    {
        var failures = new List<string>();
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var documentId = DocumentId.CreateNewId(projectId);
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(projectId, VersionStamp.Default, "P", "P", LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.ConsoleApplication, allowUnsafe: true), // an executable: KS4001 only looks at those
                parseOptions: new CSharpParseOptions(LanguageVersion.Latest),
                metadataReferences: TestReferences.NetCore.Concat(TestReferences.AspNetCore).Append(TestReferences.TmdsLibC)))
            .AddDocument(documentId, "Test.cs", SourceText.From(source));
        var document = solution.GetDocument(documentId)!;
        var compilation = (await document.Project.GetCompilationAsync())!;
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (e, analyzer, _) => { lock (failures) failures.Add($"{analyzer.GetType().Name} threw {e}"); },
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false);
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create(Analyzers), options).GetAnalyzerDiagnosticsAsync();
        // (off-by-default rules are not reported unless enabled; none is enabled here)
        failures.AddRange(diagnostics.Where(d => d.Id == "AD0001").Select(d => d.ToString()));

        var reported = diagnostics.Where(d => d.Id.StartsWith("KS", StringComparison.Ordinal)).ToList();
        foreach (var diagnostic in reported)
        {
            foreach (var fix in Fixes.Where(f => f.FixableDiagnosticIds.Contains(diagnostic.Id)))
            {
                try
                {
                    var actions = new List<CodeAction>();
                    await fix.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
                    foreach (var action in actions)
                        await action.GetOperationsAsync(CancellationToken.None);
                }
                catch (Exception e)
                {
                    failures.Add($"{fix.GetType().Name} threw {e}");
                }
            }
        }

        return (failures, reported.Select(d => d.Id).ToList());
    }
}
