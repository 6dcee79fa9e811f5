using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

/// <summary>KS3004 is off by default; these tests enable it the documented way (a .globalconfig).</summary>
public class KS3004Tests
{
    private const string Enable = "is_global = true\ndotnet_diagnostic.KS3004.severity = warning\n";

    private static Task RunAsync(string source, bool enabled, params DiagnosticResult[] expected)
    {
        var test = new KillSafeTest<IdleConnectionAnalyzer, EmptyCodeFixProvider> { TestCode = source };
        if (enabled)
            test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", Enable));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    private const string EchoForever = """

using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;
class Server
{
    void Run(TcpListener listener)
    {
        while (true)
        {
            var client = {|#0:listener.AcceptTcpClient()|};
            _ = Task.Run(() => Echo(client));
        }
    }

    static void Echo(TcpClient client)
    {
        var stream = client.GetStream();
        var buffer = new byte[1024];
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            stream.Write(buffer, 0, read);
    }
}
""";

    [Fact]
    public Task A_reader_loop_without_keepalive_or_timeout_is_flagged_when_enabled() =>
        RunAsync(EchoForever, enabled: true, new DiagnosticResult(IdleConnectionAnalyzer.Rule).WithLocation(0).WithArguments("AcceptTcpClient"));

    [Fact]
    public async Task It_is_off_by_default()
    {
        // The testing library turns every rule under test on, so ask the compiler directly, as a build would.
        Assert.False(IdleConnectionAnalyzer.Rule.IsEnabledByDefault);
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create(
            "Default",
            new[] { Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(EchoForever.Replace("{|#0:", "").Replace("|}", "")) },
            KillSafe.Tests.Shared.TestReferences.NetCore,
            new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary));
        var diagnostics = await compilation.WithAnalyzers(System.Collections.Immutable.ImmutableArray.Create<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer>(new IdleConnectionAnalyzer())).GetAnalyzerDiagnosticsAsync();
        Assert.Empty(diagnostics);
    }

    [Fact]
    public Task Request_response_handlers_keepalive_and_timeouts_are_quiet() => RunAsync("""

using System;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
class Server
{
    async Task RequestResponse(Socket listener)
    {
        while (true)
        {
            using var connection = await listener.AcceptAsync();
            var buffer = new byte[512];
            int read = await connection.ReceiveAsync(buffer, SocketFlags.None);
            await connection.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
        }
    }

    void KeepAlive(Socket listener)
    {
        while (true)
        {
            var connection = listener.Accept();
            connection.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            var buffer = new byte[512];
            while (connection.Receive(buffer) > 0) { }
        }
    }

    void Timeout(TcpListener listener)
    {
        while (true)
        {
            var client = listener.AcceptTcpClient();
            client.ReceiveTimeout = 30_000;
            var stream = client.GetStream();
            var buffer = new byte[512];
            while (stream.Read(buffer, 0, buffer.Length) > 0) { }
        }
    }

    async Task Cancellation(TcpListener listener)
    {
        while (true)
        {
            var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            var buffer = new byte[512];
            while (true)
            {
                using var idle = new CancellationTokenSource(TimeSpan.FromMinutes(5));
                if (await stream.ReadAsync(buffer, idle.Token) == 0) break;
            }
        }
    }
}
""", enabled: true);
}
