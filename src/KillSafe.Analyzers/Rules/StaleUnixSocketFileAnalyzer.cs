using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules
{
    /// <summary>
    /// KS2001: a Unix socket path is bound without removing a stale socket file first. After SIGKILL (and
    /// after SIGTERM/SIGINT/SIGHUP with no handler) the socket file stays, and the next bind of the same
    /// path fails with EADDRINUSE until someone deletes it (FACTS.md, "Unix domain socket files";
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
            if (removed.Any(r => r.IsUnknown || r.Equals(binding.Path) || binding.Path.IsUnknown))
                return; // removed first, or identity cannot be decided: prefer silence

            var additional = binding.PathExpression is null
                ? ImmutableArray<Location>.Empty
                : ImmutableArray.Create(binding.PathExpression.Syntax.GetLocation());
            var properties = ImmutableDictionary<string, string?>.Empty
                .Add(HasPathLocation, additional.IsEmpty ? "false" : "true")
                .Add(PathMakesEndPoint, binding.PathMakesEndPoint ? "true" : "false");
            context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), additional, properties, ApiName(call), binding.DisplayPath));
        }

        private static string ApiName(IInvocationOperation call)
        {
            var method = call.TargetMethod;
            var nativeEntry = method.GetDllImportData()?.EntryPointName;
            return method.ContainingType is null ? method.Name : method.ContainingType.Name + "." + (nativeEntry ?? method.Name);
        }
    }
}
