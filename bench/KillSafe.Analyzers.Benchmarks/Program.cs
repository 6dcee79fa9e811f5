// Analyzer cost, side by side in one run: the compiler's own GetDiagnostics(), KillSafe's analyzers (per
// analyzer and total, from the analyzer driver's execution-time telemetry), and CA2000 from the SDK's
// Microsoft.CodeAnalysis.NetAnalyzers on the same compilation, on (a) a generated codebase where a few
// percent of the files touch sockets and IPC, (b) the same without any relevant API (the bail-out path),
// and (c) the project's own runtime sources; with --src, (d) a real folder compiled as killsafe analyze's
// folder mode compiles it (each project its own compilation). Reports medians and ratios; asserts nothing.
//
//   dotnet run -c Release --project bench/KillSafe.Analyzers.Benchmarks [-- --files 1500 --iterations 3 --src DIR]
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using KillSafe.Tests.Shared;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

int files = 1500, iterations = 3;
var sourceFolders = new List<string>();
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--files")
        files = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    if (args[i] == "--iterations")
        iterations = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    if (args[i] == "--src")
        sourceFolders.Add(Path.GetFullPath(args[i + 1]));
}

var killSafe = typeof(KillSafe.Analyzers.Rules.StaleUnixSocketFileAnalyzer).Assembly.GetTypes()
    .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t))
    .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
    .ToImmutableArray();
var ca2000 = LoadCa2000();
var references = TestReferences.NetCore.Add(TestReferences.TmdsLibC);
var root = FindRepoRoot();

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC; medians of {iterations} runs");
Console.WriteLine($"{"corpus",-34} {"files",6} {"compiler ms",12} {"KillSafe ms",12} {"KS/compiler",12} {"CA2000 ms",10} {"CA2000/KS",10}");
if (sourceFolders.Count == 0)
{
    Measure("(a) generated, 3% sockets and IPC", Corpus.Generate(files, relevantPercent: 3));
    Measure("(b) generated, no relevant API", Corpus.Generate(files, relevantPercent: 0));
    Measure("(c) KillSafe's own sources", Directory.GetFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
        .Where(f => (f.Contains("KillSafe.Verification", StringComparison.Ordinal) || f.Contains("KillSafe.Cli", StringComparison.Ordinal)) && !f.Contains("/obj/", StringComparison.Ordinal))
        .Select(File.ReadAllText).Append(Corpus.GlobalUsings).ToList());
}

foreach (var folder in sourceFolders)
{
    // Compiled once, as killsafe analyze's folder mode compiles it: every project its own compilation.
    var loaded = KillSafe.Analyze.Loading.FolderLoader.Load(folder, Array.Empty<string>(), _ => { });
    var compilations = loaded.Solution.Projects.Select(p => p.GetCompilationAsync().GetAwaiter().GetResult()!).ToList();
    var options = loaded.Solution.Projects.Select(p => p.AnalyzerOptions).ToList();
    MeasureCompilations("(d) " + Path.GetFileName(folder), compilations, options);
}

void Measure(string name, IReadOnlyList<string> sources)
{
    var parse = new CSharpParseOptions(LanguageVersion.Latest);
    var trees = sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, parse, path: $"File{i}.cs")).ToList();
    var compilation = CSharpCompilation.Create(
        "Bench", trees, references,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
    MeasureCompilations(name, new[] { compilation }, new[] { new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty) });
}

// Fresh compilations for each measurement (a compilation caches its binding): the same trees and options again.
void MeasureCompilations(string name, IReadOnlyList<Compilation> compilations, IReadOnlyList<AnalyzerOptions> analyzerOptions)
{
    IEnumerable<(Compilation Compilation, AnalyzerOptions Options)> Fresh(bool enableCa2000) => compilations.Select((c, i) =>
        (c.RemoveAllSyntaxTrees().AddSyntaxTrees(c.SyntaxTrees).WithOptions(enableCa2000 ? c.Options.WithSpecificDiagnosticOptions(c.Options.SpecificDiagnosticOptions.SetItem("CA2000", ReportDiagnostic.Warn)) : c.Options), analyzerOptions[i]));

    var compiler = Median(iterations, () =>
    {
        var clock = Stopwatch.StartNew();
        foreach (var (c, _) in Fresh(false))
            c.GetDiagnostics();
        return clock.Elapsed.TotalMilliseconds;
    });
    var perAnalyzer = new Dictionary<string, List<double>>();
    var killSafeTotal = Median(iterations, () => Fresh(false).Sum(f => AnalyzerTime(f.Compilation, f.Options, killSafe, perAnalyzer)));
    var ca = ca2000.IsEmpty ? double.NaN : Median(iterations, () => Fresh(true).Sum(f => AnalyzerTime(f.Compilation, f.Options, ca2000, null)));
    var fileCount = compilations.Sum(c => c.SyntaxTrees.Count());
    Console.WriteLine($"{name,-34} {fileCount,6} {compiler,12:0.0} {killSafeTotal,12:0.00} {killSafeTotal / compiler * 100,11:0.000}% {ca,10:0.0} {ca / killSafeTotal,10:0.0}");
    foreach (var (analyzer, times) in perAnalyzer.OrderByDescending(p => p.Value.Average()))
        Console.WriteLine($"    {analyzer,-50} {times.OrderBy(t => t).ElementAt(times.Count / 2),8:0.00} ms");
}

static double AnalyzerTime(Compilation compilation, AnalyzerOptions analyzerOptions, ImmutableArray<DiagnosticAnalyzer> analyzers, Dictionary<string, List<double>>? perAnalyzer)
{
    var options = new CompilationWithAnalyzersOptions(analyzerOptions, null, concurrentAnalysis: false, logAnalyzerExecutionTime: true);
    var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
    withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
    double total = 0;
    foreach (var analyzer in analyzers)
    {
        var time = withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime.TotalMilliseconds;
        total += time;
        if (perAnalyzer is not null)
        {
            var key = analyzer.GetType().Name;
            if (!perAnalyzer.TryGetValue(key, out var list))
                perAnalyzer[key] = list = new List<double>();
            list.Add(time);
        }
    }

    return total;
}

static double Median(int count, Func<double> measure)
{
    measure(); // warm up
    var times = Enumerable.Range(0, count).Select(_ => measure()).OrderBy(t => t).ToList();
    return times[times.Count / 2];
}

// CA2000 (dispose objects before losing scope) from the NetAnalyzers that ship inside the SDK.
static ImmutableArray<DiagnosticAnalyzer> LoadCa2000()
{
    var sdk = Directory.GetDirectories(Path.Combine(TestReferences.DotnetRoot, "sdk")).OrderByDescending(d => d, StringComparer.Ordinal).FirstOrDefault();
    var folder = sdk is null ? null : Path.Combine(sdk, "Sdks", "Microsoft.NET.Sdk", "analyzers");
    if (folder is null || !Directory.Exists(folder))
    {
        Console.WriteLine("CA2000: the SDK's NetAnalyzers were not found; that column stays empty");
        return ImmutableArray<DiagnosticAnalyzer>.Empty;
    }

    var loader = new Loader();
    return new[] { "Microsoft.CodeAnalysis.NetAnalyzers.dll", "Microsoft.CodeAnalysis.CSharp.NetAnalyzers.dll" }
        .SelectMany(dll => new AnalyzerFileReference(Path.Combine(folder, dll), loader).GetAnalyzers(LanguageNames.CSharp))
        .Where(a => a.SupportedDiagnostics.Any(d => d.Id == "CA2000"))
        .ToImmutableArray();
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Analyzers.sln")))
            return dir.FullName;
    }

    throw new InvalidOperationException("Analyzers.sln not found");
}

sealed class Loader : IAnalyzerAssemblyLoader
{
    public void AddDependencyLocation(string fullPath)
    {
    }

    public System.Reflection.Assembly LoadFromPath(string fullPath) => System.Reflection.Assembly.LoadFrom(fullPath);
}

/// <summary>A realistic mix: services with collections, LINQ, strings, files and disposables; a few touch sockets and IPC.</summary>
static class Corpus
{
    public const string GlobalUsings = "global using System; global using System.IO; global using System.Linq; global using System.Collections.Generic; global using System.Threading; global using System.Threading.Tasks;";

    public static List<string> Generate(int count, int relevantPercent)
    {
        var sources = new List<string> { GlobalUsings };
        int relevantEvery = relevantPercent == 0 ? int.MaxValue : 100 / relevantPercent;
        for (int i = 0; i < count; i++)
            sources.Add(i % relevantEvery == relevantEvery - 1 ? Relevant(i) : Plain(i));
        return sources;
    }

    private static string Plain(int i) => $$"""
        using System.Text;
        namespace App.Module{{i % 40}};
        public sealed class Service{{i}} : IDisposable
        {
            private readonly Dictionary<string, List<int>> _index = new();
            private readonly StringBuilder _log = new();
            private readonly MemoryStream _buffer = new();
            public int Count => _index.Count;
            public void Add(string key, int value)
            {
                if (!_index.TryGetValue(key, out var list))
                    _index[key] = list = new List<int>();
                list.Add(value);
                _log.Append(key).Append('=').Append(value).AppendLine();
            }
            public IEnumerable<(string Key, int Sum)> Totals() =>
                _index.Select(p => (p.Key, p.Value.Sum())).Where(t => t.Item2 > {{i % 7}}).OrderBy(t => t.Key);
            public async Task<string> LoadAsync(string path, CancellationToken token)
            {
                using var reader = new StreamReader(path);
                var text = await reader.ReadToEndAsync(token);
                foreach (var line in text.Split('\n'))
                {
                    var parts = line.Split(',');
                    if (parts.Length == 2 && int.TryParse(parts[1], out var n))
                        Add(parts[0].Trim(), n);
                }
                return string.Join(";", Totals().Select(t => $"{t.Key}:{t.Sum}"));
            }
            public void Dispose() => _buffer.Dispose();
        }
        """;

    private static string Relevant(int i) => $$"""
        using System.Net;
        using System.Net.Sockets;
        using System.Runtime.InteropServices;
        namespace App.Net{{i % 10}};
        public sealed class Endpoint{{i}}
        {
            [DllImport("libc", SetLastError = true)] private static extern int shmget(int key, nuint size, int flags);
            [DllImport("libc", SetLastError = true)] private static extern int shmctl(int id, int command, IntPtr buffer);
            private int _segment;
            public Socket ListenUnix(string path)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                socket.Bind(new UnixDomainSocketEndPoint(path));
                socket.Listen(8);
                return socket;
            }
            public Socket ListenTcp(int port)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.IP);
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                socket.Listen(8);
                return socket;
            }
            public void Share() => _segment = shmget({{i}}, 4096, 0x380);
            public void Release() => shmctl(_segment, 0, IntPtr.Zero);
        }
        """;
}
