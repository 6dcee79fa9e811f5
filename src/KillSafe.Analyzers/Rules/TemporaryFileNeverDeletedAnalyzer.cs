using System.Collections.Immutable;
using System.Linq;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules
{
    /// <summary>
    /// KS5003 (suggestion): a temporary file — <c>Path.GetTempFileName()</c>, which creates the file, or a file
    /// created under <c>Path.GetTempPath()</c> — that nothing deletes. /tmp is not cleaned when the process
    /// ends; on many systems only at boot or after days (systemd-tmpfiles), so every run adds a file.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class TemporaryFileNeverDeletedAnalyzer : DiagnosticAnalyzer
    {
        public const string DiagnosticId = "KS5003";

        internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
            DiagnosticId,
            title: "Temporary file that is never deleted",
            messageFormat: "'{0}' creates the temporary file '{1}' and nothing deletes it: the system does not remove it when the process ends, so every run leaves one behind. Delete it in a finally block, or open it with FileOptions.DeleteOnClose.",
            category: RuleDescriptors.Reliability,
            severity: DiagnosticSeverity.Info,
            description: "Path.GetTempFileName creates an empty file, and files written under Path.GetTempPath stay there after the process ends. Delete them in a finally block (or use FileOptions.DeleteOnClose when the file is used through one stream), so that normal exits and exceptions leave nothing behind.");

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            context.RegisterCompilationStartAction(start =>
            {
                var cleanup = CleanupConfiguration.Read(start.Options, DiagnosticId);
                CatalogView.RegisterOperationAction(start, ResourceKind.TemporaryFile, catalog => c => Analyze(c, catalog, cleanup), OperationKind.Invocation, OperationKind.ObjectCreation);
            });
        }

        /// <summary>The temporary file <paramref name="operation"/> creates: its identity and how to show it; null when it creates none.</summary>
        internal static (ResourceIdentity[] Paths, string Display)? Created(IOperation operation, IdentityResolver resolver)
        {
            var (method, arguments) = CallSite.Of(operation);
            if (method is null || resolver.Catalog.Match(method) is not { Role: ApiRole.Create } row)
                return null;
            if (row.IdentityArgument == ApiEntry.ReturnIdentity)
            {
                // GetTempFileName: the path lives in the variable it is stored in.
                // (a read of a variable written once resolves to the call itself).
                return KernelObjectCreation.StoredIn(operation) is ILocalSymbol local
                    ? (new[] { resolver.Resolve(operation), ResourceIdentity.FromSymbol(local, local.Name) }, local.Name)
                    : null; // discarded or stored where it escapes: prefer silence
            }

            if (!KernelObjectCreation.HasRequiredFlag(row, arguments, resolver.Catalog) || row.IdentityArgument >= arguments.Length || DeletesOnClose(arguments, resolver.Catalog))
                return null;
            var path = IdentityResolver.ArgumentFor(arguments, row.IdentityArgument);
            if (!PathRoot.StartsAt(path, resolver, PathRoot.IsTempPath))
                return null;
            var identity = resolver.Resolve(path);
            return identity.IsUnknown ? null : (new[] { identity }, path.Syntax.ToString());
        }

        private static void Analyze(OperationAnalysisContext context, CatalogView catalog, ImmutableHashSet<string> cleanup)
        {
            var operation = context.Operation;
            var method = CallSite.Of(operation).Method;
            if (method is null || catalog.Match(method) is not { Role: ApiRole.Create } || operation.SemanticModel is not { } model)
                return;
            var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
            if (Created(operation, resolver) is not { } created)
                return;
            var deletes = ActionFinder.Removals(resolver, ResourceKind.TemporaryFile, cleanup);
            if (Precedence.ActionsAfter(operation, context.ContainingSymbol, deletes).Any(d => d.IsUnknown || created.Paths.Contains(d)))
                return;
            // Returned or stored in a field or property: the new owner decides. Opened with DeleteOnClose: the stream deletes it.
            if (HandOver.InMember(operation, created.Paths.Contains, resolver, ownFields: true, frameworkCalls: false) || OpenedWithDeleteOnClose(operation, created.Paths, resolver))
                return;
            var api = CallSite.Display(method);
            context.ReportDiagnostic(Diagnostic.Create(Rule, operation.Syntax.GetLocation(), api, created.Display));
        }

        /// <summary>The creating body opens the path with FileOptions.DeleteOnClose: the stream deletes the file when it closes.</summary>
        private static bool OpenedWithDeleteOnClose(IOperation operation, ResourceIdentity[] paths, IdentityResolver resolver) =>
            IdentityResolver.Root(operation).DescendantsAndSelf().OfType<IObjectCreationOperation>().Any(opened =>
                opened.Arguments.Length > 0 && DeletesOnClose(opened.Arguments, resolver.Catalog) && paths.Contains(resolver.Resolve(opened.Arguments[0].Value)));

        /// <summary>A FileStream opened with FileOptions.DeleteOnClose: the runtime deletes it when the stream closes.</summary>
        private static bool DeletesOnClose(ImmutableArray<IArgumentOperation> arguments, CatalogView catalog) =>
            catalog.EnumValue("System.IO.FileOptions", "DeleteOnClose") is { } deleteOnClose
            && arguments.Any(a => a.Parameter?.Type.Name == "FileOptions" && ConstantFolder.TryFold(a.Value, catalog, out var options) && (options & deleteOnClose) != 0);
    }
}
