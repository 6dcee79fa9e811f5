using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS2001: a Unix socket path is bound without removing a stale socket file first. After SIGKILL (and
/// after SIGTERM/SIGINT/SIGHUP with no handler) the socket file stays, and the next bind of the same
/// path fails with EADDRINUSE until someone deletes it (docs/linux-facts.md, "Unix domain socket files";
/// unix(7): "binding to a socket with a filename creates a socket in the filesystem that must be
/// deleted by the caller when it is no longer needed").
/// </summary>
[DiagnosticAnalyzer(Microsoft.CodeAnalysis.LanguageNames.CSharp)]
public sealed class StaleUnixSocketFileAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS2001";

    /// <summary>Diagnostic property: "true" when <see cref="Diagnostic.AdditionalLocations"/>[0] is the path expression.</summary>
    public const string HasPathLocation = "HasPathLocation";

    /// <summary>Diagnostic property: "true" when the path expression is the argument of a managed endpoint constructor.</summary>
    public const string PathMakesEndPoint = "PathMakesEndPoint";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Unix socket path bound without removing a stale socket file first",
        messageFormat: "{0} binds the Unix socket path '{1}' without removing a stale socket file first: after a crash the restart fails with AddressAlreadyInUse until the file is deleted",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "Binding a Unix domain socket to a path creates a socket file. The kernel does not remove it when the process dies: after SIGKILL, or SIGTERM with no handler, the file stays and the next bind of the same path fails with AddressAlreadyInUse. Remove a stale socket file (one that no process listens on, never a regular file) before binding.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var cleanup = CleanupConfiguration.Read(start.Options, DiagnosticId);
            CatalogView.RegisterOperationAction(start, ResourceKind.UnixSocketFile, catalog => c => AnalyzeInvocation(c, catalog, cleanup), OperationKind.Invocation);
        });
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, CatalogView catalog, ImmutableHashSet<string> cleanup)
    {
        var call = (IInvocationOperation)context.Operation;
        if (catalog.Match(call.TargetMethod) is not { Kind: ResourceKind.UnixSocketFile, Role: ApiRole.Create })
            return; // cheap pre-filter: everything below runs only at binds
        var model = call.SemanticModel;
        if (model is null)
            return;

        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        var binding = UnixSocketBinding.TryCreate(call, resolver);
        if (binding is null)
            return;

        var removed = Precedence.ActionsBefore(call, context.ContainingSymbol, ActionFinder.Removals(resolver, ResourceKind.UnixSocketFile, cleanup));
        // Removed first, or something is removed whose identity cannot be told apart: prefer silence. A path
        // that cannot be traced (an endpoint from a list, the project's own endpoint type) counts as removed
        // when anything at all is removed before the bind.
        if (removed.Any(r => r.IsUnknown || r.Equals(binding.Path)) || (binding.Path.IsUnknown && removed.Count > 0))
            return;
        if (ChosenOutside(call, binding, resolver, context.ContainingSymbol))
            return;
        // A path made new for every run (a GUID in the name): no later bind meets the file again.
        if (binding.PathExpression is { } pathExpression && UniqueNames.IsUniquePerRun(pathExpression, resolver))
            return;

        var additional = binding.PathExpression is null
            ? ImmutableArray<Location>.Empty
            : ImmutableArray.Create(binding.PathExpression.Syntax.GetLocation());
        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(HasPathLocation, additional.IsEmpty ? "false" : "true")
            .Add(PathMakesEndPoint, binding.PathMakesEndPoint ? "true" : "false");
        context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), additional, properties, ApiName(call), binding.DisplayPath));
    }

    /// <summary>
    /// A library that binds a path its public API was given, with no caller in this compilation: the path is the
    /// caller's choice, and so is the removal of a stale file (Kestrel's own position, docs/linux-facts.md).
    /// The finding belongs where a compilation chooses the path and binds.
    /// </summary>
    private static bool ChosenOutside(IInvocationOperation call, UnixSocketBinding binding, IdentityResolver resolver, ISymbol containing)
    {
        if (resolver.Model.Compilation.Options.OutputKind is not OutputKind.DynamicallyLinkedLibrary and not OutputKind.NetModule)
            return false;
        var source = binding.PathExpression ?? IdentityResolver.ArgumentFor(call.Arguments, 0);
        var parameter = binding.Path.Root as IParameterSymbol ?? (resolver.Origin(source) as IParameterReferenceOperation)?.Parameter;
        if (parameter?.ContainingSymbol is not IMethodSymbol api || !IsVisibleOutside(api))
            return false;
        return CallSites.Of(api, resolver) is { Count: 0 };
    }

    private static bool IsVisibleOutside(ISymbol symbol)
    {
        for (var current = symbol; current is not null && current is not INamespaceSymbol; current = current.ContainingSymbol)
        {
            if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
                return false;
        }

        return true;
    }

    private static string ApiName(IInvocationOperation call)
    {
        var method = call.TargetMethod;
        var nativeEntry = method.GetDllImportData()?.EntryPointName;
        return method.ContainingType is null ? method.Name : method.ContainingType.Name + "." + (nativeEntry ?? method.Name);
    }
}
