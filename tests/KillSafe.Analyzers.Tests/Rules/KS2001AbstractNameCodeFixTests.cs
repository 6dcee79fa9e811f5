using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

public class KS2001AbstractNameCodeFixTests
{
    private static DiagnosticResult Expected(string api, string path, int bind, int pathMarker) =>
        new DiagnosticResult(StaleUnixSocketFileAnalyzer.Rule).WithLocation(bind).WithLocation(pathMarker).WithArguments(api, path);

    [Fact]
    public async Task Literal_and_computed_paths_become_abstract_names_with_fix_all()
    {
        var test = new KillSafeTest<StaleUnixSocketFileAnalyzer, StaleUnixSocketFileCodeFix>
        {
            CodeActionEquivalenceKey = StaleUnixSocketFileCodeFix.AbstractNameKey,
            TestCode = @"using System.Net.Sockets;

class Server
{
    void Start(Socket a, Socket b, string name)
    {
        {|#0:a.Bind(new UnixDomainSocketEndPoint({|#1:""/run/app.sock""|}))|};
        {|#2:b.Bind(new UnixDomainSocketEndPoint({|#3:name + "".sock""|}))|};
    }
}
",
            FixedCode = @"using System.Net.Sockets;

class Server
{
    void Start(Socket a, Socket b, string name)
    {
        a.Bind(new UnixDomainSocketEndPoint(""\0/run/app.sock""));
        b.Bind(new UnixDomainSocketEndPoint(""\0"" + (name + "".sock"")));
    }
}
",
        };
        test.ExpectedDiagnostics.Add(Expected("Socket.Bind", "/run/app.sock", 0, 1));
        test.ExpectedDiagnostics.Add(Expected("Socket.Bind", "name + \".sock\"", 2, 3));
        await test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Kestrel_paths_are_not_offered_the_abstract_name_fix()
    {
        const string source = @"using Microsoft.AspNetCore.Server.Kestrel.Core;
static class Web
{
    static void Configure(KestrelServerOptions o, string path) { {|#0:o.ListenUnixSocket({|#1:path|})|}; }
}
";
        var test = new KillSafeTest<StaleUnixSocketFileAnalyzer, StaleUnixSocketFileCodeFix>(ExtraReferences.AspNetCore) { TestCode = source, FixedCode = source, CodeActionEquivalenceKey = StaleUnixSocketFileCodeFix.AbstractNameKey };
        test.ExpectedDiagnostics.Add(Expected("KestrelServerOptions.ListenUnixSocket", "path", 0, 1));
        await test.RunAsync(CancellationToken.None);
    }
}
