using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS3002: a managed stream <c>Socket</c> created with <c>ProtocolType.IP</c> or <c>ProtocolType.Unspecified</c>
/// is bound and listens without <c>ReuseAddress</c> set before <c>Bind</c>. The runtime sets SO_REUSEADDR by
/// itself only for ProtocolType.Tcp (dotnet/runtime pal_networking.c), so such a listener cannot rebind
/// its port during TIME_WAIT after a restart (measured, docs/linux-facts.md). Ordinary TCP listeners are never flagged.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ManagedListenerMissesReuseAddressAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS3002";

    /// <summary>Diagnostic property: "true" when changing the protocol to Tcp is a valid fix (IPv4, IPv6 or dual mode).</summary>
    public const string CanUseTcp = "CanUseTcp";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Stream socket with ProtocolType.IP or Unspecified listens without ReuseAddress",
        messageFormat: "'{0}' is a stream socket created with {1} and bound for listening without ReuseAddress: unlike ProtocolType.Tcp it misses .NET's implicit SO_REUSEADDR, so after a restart Bind fails with AddressAlreadyInUse for the TIME_WAIT period (60 s)",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "On Unix, .NET sets SO_REUSEADDR before bind only for sockets created with ProtocolType.Tcp. A listener created with ProtocolType.IP or ProtocolType.Unspecified cannot bind its port again while connections of the previous run are in TIME_WAIT. Use ProtocolType.Tcp, or set SocketOptionName.ReuseAddress before Bind.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start => CatalogView.RegisterOperationAction(
            start,
            ResourceKind.ListeningSocket,
            catalog =>
            {
                if (catalog.Type("System.Net.Sockets.Socket") is null)
                    return null;
                var unixCatalog = CatalogView.Create(catalog.Compilation, ResourceKind.UnixSocketFile);
                var unix = catalog.EnumValue(ResourceCatalog.AddressFamilyType, "Unix");
                var inet = catalog.EnumValue(ResourceCatalog.AddressFamilyType, "InterNetwork");
                var inet6 = catalog.EnumValue(ResourceCatalog.AddressFamilyType, "InterNetworkV6");
                return c => Analyze(c, catalog, unixCatalog, unix, inet, inet6);
            },
            OperationKind.Invocation));
    }

    private static void Analyze(OperationAnalysisContext context, CatalogView catalog, CatalogView? unixCatalog, long? unix, long? inet, long? inet6)
    {
        var call = (IInvocationOperation)context.Operation;
        if (catalog.Match(call.TargetMethod) is not { Role: ApiRole.Create, Shape: ApiShape.Managed } row || call.SemanticModel is not { } model)
            return;
        if (SocketCalls.HandleOf(call, row) is not { } handle)
            return;
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        // ProtocolType.IP and ProtocolType.Unspecified are both 0; a non-constant protocol stays silent. A socket a
        // wrapper type was given is judged by what the wrapper's creators pass in.
        var opening = SocketCalls.OpeningsOf(handle, resolver).FirstOrDefault(o => o is { IsManaged: true, IsStream: true, Protocol: 0 } && !(o.Family is { } f && f == unix));
        if (opening is null)
            return;
        if (unixCatalog is not null && UnixSocketBinding.BindsUnixEndPoint(call, new IdentityResolver(model, unixCatalog, context.CancellationToken)))
            return; // a Unix endpoint: no TIME_WAIT, KS2001's business

        var socket = resolver.Resolve(handle);
        if (socket.IsUnknown || !SocketCalls.ListensOn(call, context.ContainingSymbol, socket, resolver))
            return;
        var reuse = new ActionFinder(resolver, (c, r) => SocketCalls.SetsOption(c, r, "SO_REUSEADDR", catalog));
        if (Precedence.ActionsBefore(call, context.ContainingSymbol, reuse).Any(r => r.IsUnknown || r.Equals(socket)))
            return;

        bool canUseTcp = opening.Family is null || opening.Family == inet || opening.Family == inet6;
        var protocol = opening.ProtocolArgument;
        var additional = protocol is null ? ImmutableArray<Location>.Empty : ImmutableArray.Create(protocol.Syntax.GetLocation());
        var properties = ImmutableDictionary<string, string?>.Empty.Add(CanUseTcp, canUseTcp && protocol is not null ? "true" : "false");
        var socketText = ReferenceEquals(resolver.Origin(handle), opening.Operation) ? handle.Syntax.ToString() : opening.Operation.Syntax.ToString();
        context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), additional, properties, socketText, protocol?.Syntax.ToString() ?? "ProtocolType.IP"));
    }
}
