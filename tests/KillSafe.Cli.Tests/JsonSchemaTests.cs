using System.Text.Json;
using Json.Schema;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.Cli.Tests;

/// <summary>
/// What <c>--json</c> prints, from real runs of scan, sweep and verify, against the checked-in schema
/// (docs/schema/killsafe-output.schema.json). The schema allows no property it does not name, so a field
/// added, renamed or re-cased in the code fails here until the schema says so.
/// </summary>
public sealed class JsonSchemaTests : IDisposable
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "schema", "killsafe-output.schema.json")));
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ks-schema-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);

    public JsonSchemaTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Child => Path.Combine(AppContext.BaseDirectory, "KillSafe.TestChild.dll");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Analyzers.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("Analyzers.sln not found above " + AppContext.BaseDirectory);
    }

    private (int ExitCode, string Output) Killsafe(params string[] args) => KillsafeProcess.Run(_dir, args);

    // The document is what stdout holds; progress and notes go to stderr, which the run merges in arrival order.
    private static JsonElement Document(string output)
    {
        int start = output.IndexOf("{\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "no JSON document in:\n" + output);
        using var document = JsonDocument.Parse(output[start..(output.LastIndexOf('}') + 1)]);
        return document.RootElement.Clone();
    }

    private static void AssertValid(JsonElement document)
    {
        var result = Schema.Evaluate(document, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (result.Details ?? new List<EvaluationResults>())
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}"))
            .ToList();
        Assert.True(result.IsValid, "not valid against the schema:\n" + string.Join("\n", errors) + "\n" + document);
    }

    private static IEnumerable<string> IdTypes(JsonElement document, string list) =>
        document.GetProperty(list).EnumerateArray().Select(l => l.GetProperty("id").GetProperty("type").GetString()!);

    [Fact]
    public async Task Scan_and_sweep_print_documents_of_the_schema()
    {
        // A stale socket file of a killed Python server: one action for sweep, one stale entry for scan.
        var socket = Path.Combine(_dir, "stale.sock");
        using (var python = ChildProcess.Start("python3", new[] { "-c", $"import socket,time; s=socket.socket(socket.AF_UNIX); s.bind('{socket}'); s.listen(); print('READY', flush=True); time.sleep(300)" }))
        {
            await python.WaitForOutputAsync("READY", TimeSpan.FromSeconds(30));
            await python.KillAsync(KillSignal.Kill, TimeSpan.FromSeconds(10));
        }

        var (scanExit, scan) = Killsafe("scan", "--json", "--dir", _dir);
        Assert.True(scanExit == 1, scan);
        var scanned = Document(scan);
        AssertValid(scanned);
        Assert.Contains("file", IdTypes(scanned, "stale"));

        var (dryExit, dry) = Killsafe("sweep", "--json", "--dir", _dir);
        Assert.True(dryExit == 0, dry);
        var dryRun = Document(dry);
        AssertValid(dryRun);
        Assert.Equal(1, dryRun.GetProperty("wouldRemove").GetInt32());

        var (applyExit, applied) = Killsafe("sweep", "--apply", "--json", "--dir", _dir);
        Assert.True(applyExit == 0, applied);
        AssertValid(Document(applied));
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public void Verify_prints_a_document_of_the_schema_with_every_kind_of_identity()
    {
        // SysV and file identities from the test child; a TCP listener and a process from a Python server
        // whose forked child keeps the listener after its parent is killed.
        var (leakExit, leak) = Killsafe("verify", "--json", "--dir", _dir, "--ready-line", "READY", "--", KillsafeProcess.Dotnet, Child, "leak-all", "ks-schema-" + Environment.ProcessId, Path.Combine(_dir, "leak.sock"), "47411");
        Assert.True(leakExit == 1, leak);
        var leaked = Document(leak);
        AssertValid(leaked);
        Assert.Contains("sysv", IdTypes(leaked, "leftovers"));
        Assert.Contains("file", IdTypes(leaked, "leftovers"));
        Assert.True(leaked.TryGetProperty("startedAgain", out _), leak);

        var server = "import os,socket,time\ns=socket.socket(); s.bind(('127.0.0.1', 47412)); s.listen()\nif os.fork() == 0: time.sleep(300)\nprint('READY', flush=True); time.sleep(300)";
        var (orphanExit, orphan) = Killsafe("verify", "--json", "--no-restart", "--ready-line", "READY", "--", "python3", "-c", server);
        Assert.True(orphanExit == 1, orphan);
        var orphaned = Document(orphan);
        AssertValid(orphaned);
        Assert.Contains("endpoint", IdTypes(orphaned, "leftovers"));
        Assert.Contains("process", IdTypes(orphaned, "leftovers"));

        var (hostExit, host) = Killsafe("verify", "--json", "--host", "--no-restart", "--signal", "TERM", "--dir", _dir, "--ready-line", "READY", "--", KillsafeProcess.Dotnet, Child, "wait");
        Assert.True(hostExit is 0 or 1, host);
        var onHost = Document(host);
        AssertValid(onHost);
        Assert.False(onHost.GetProperty("isolated").GetBoolean());
    }

    [Fact]
    public void The_schema_refuses_a_field_it_does_not_name()
    {
        var (_, scan) = Killsafe("scan", "--json", "--dir", _dir);
        var text = Document(scan).GetRawText();
        using var extended = JsonDocument.Parse(text.Insert(text.IndexOf('{') + 1, "\"unexpected\": 1,"));
        Assert.False(Schema.Evaluate(extended.RootElement).IsValid);
    }
}
