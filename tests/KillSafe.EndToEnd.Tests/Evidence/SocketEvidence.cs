using System.Net;
using System.Net.Sockets;
using KillSafe.Verification;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>Shared steps of the socket evidence tests: build the flagged and the fixed program, run, serve, kill.</summary>
public abstract class SocketEvidence : IDisposable
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly List<ChildProcess> _children = new();

    protected ScratchDirectory Scratch { get; } = new("socket-evidence");

    public virtual void Dispose()
    {
        foreach (var child in _children)
            child.Dispose();
        Scratch.Dispose();
    }

    /// <summary>Asserts <paramref name="ruleId"/> fires on <paramref name="source"/>, applies <paramref name="fix"/> with Fix All, and asserts it is gone.</summary>
    protected static async Task<string> FixedAsync(string source, string ruleId, DiagnosticAnalyzer analyzer, CodeFixProvider fix)
    {
        Assert.Contains(await AnalyzerRun.DiagnosticsAsync(source, analyzer), d => d.Id == ruleId);
        var fixedSource = await AnalyzerRun.FixAllAsync(source, analyzer, fix);
        Assert.DoesNotContain(await AnalyzerRun.DiagnosticsAsync(fixedSource, analyzer), d => d.Id == ruleId);
        return fixedSource;
    }

    protected string Build(string source, string name) => InMemoryProgram.Build(source, name, Scratch.Path);

    /// <summary>
    /// Runs the program with every signal the evidence sends at its default disposition: a test run started from a
    /// shell's background job would otherwise pass on SIGINT and SIGQUIT ignored, and a SIGINT test would measure
    /// nothing (docs/linux-facts.md, "Signals"). GNU env execs the program, so the pid is the program's own.
    /// </summary>
    private protected ChildProcess Run(string dll, params string[] args)
    {
        Assert.True(File.Exists("/usr/bin/env"), "GNU coreutils' env is needed to reset signal dispositions");
        var child = ChildProcess.Start("/usr/bin/env", new[] { "--default-signal=INT,QUIT,HUP,TERM", DotnetCli.Host, dll }.Concat(args), InMemoryProgram.ChildEnvironment);
        _children.Add(child);
        return child;
    }

    protected static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>
    /// One request to the server on <paramref name="port"/>: send 5 bytes, read until the server closes.
    /// The server closes first, so its side of the connection enters TIME_WAIT (docs/linux-facts.md).
    /// </summary>
    protected static void ServeOnce(int port)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(IPAddress.Loopback, port);
        client.Send("hello"u8.ToArray());
        var buffer = new byte[64];
        while (client.Receive(buffer) > 0)
        {
        }
    }

    /// <summary>Serves one connection, SIGKILLs the server, and checks that TIME_WAIT holds the port now.</summary>
    protected async Task ServeAndKillAsync(string dll, int port)
    {
        var server = Run(dll, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await server.WaitForOutputAsync("READY", Timeout);
        ServeOnce(port);
        await server.WaitForOutputAsync("SERVED", Timeout);
        Assert.Equal(128 + 9, await server.KillAsync(KillSignal.Kill, Timeout));
        Assert.Contains(Snapshot.Take(new SnapshotOptions()).Tcp, t => t.IsTimeWait && t.Local.Port == port);
    }

    /// <summary>Starts the server again on the same port at once: it either listens or reports the bind error.</summary>
    protected async Task<string> RestartAsync(string dll, int port)
    {
        var server = Run(dll, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var finished = Task.Run(async () =>
        {
            while (!server.Output.Contains("READY", StringComparison.Ordinal) && !server.Output.Contains("BIND-FAILED", StringComparison.Ordinal) && !server.HasExited)
                await Task.Delay(20);
        });
        await finished.WaitAsync(Timeout);
        if (server.HasExited)
            await server.WaitForExitAsync(Timeout); // its last lines arrive after the exit: drain them
        return server.Output;
    }
}
