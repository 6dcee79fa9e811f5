using System.Collections.Immutable;
using System.Composition;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using KillSafe.Analyzers.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>
/// KS1001-KS1004 fixes. Mark for removal as early as correctness allows, which survives even SIGKILL:
/// <c>shmctl(IPC_RMID)</c> right after <c>shmat</c> (the segment lives until the last detach), or
/// <c>*_unlink</c> right after the open (other processes can then no longer open it by name). Otherwise
/// remove the object in <c>Dispose</c>, implementing <c>IDisposable</c> when the class has no Dispose.
/// A missing P/Invoke (<c>shmctl</c>, <c>sem_unlink</c>, ...) is declared next to the creating one, in its style.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(IpcRemovalCodeFix)), Shared]
public sealed class IpcRemovalCodeFix : DocumentEditingCodeFix
{
    public const string MarkAfterAttach = "KS1001.MarkForRemovalAfterShmat";
    public const string UnlinkAfterOpen = "KS100x.UnlinkAfterOpen";
    public const string RemoveInDispose = "KS100x.RemoveInDispose";

    public override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(
        SysVObjectNeverRemovedAnalyzer.DiagnosticId, PosixSemaphoreNeverUnlinkedAnalyzer.DiagnosticId,
        PosixSharedMemoryNeverUnlinkedAnalyzer.DiagnosticId, PosixMessageQueueNeverUnlinkedAnalyzer.DiagnosticId);

    private static readonly ResourceKind[] Kinds =
    {
        ResourceKind.SysVSharedMemory, ResourceKind.SysVSemaphore, ResourceKind.SysVMessageQueue,
        ResourceKind.PosixSemaphore, ResourceKind.PosixSharedMemory, ResourceKind.PosixMessageQueue,
    };

    internal override IReadOnlyList<(string Key, string Title)> Actions { get; } = new[]
    {
        (MarkAfterAttach, "Mark the segment for removal right after shmat (IPC_RMID: it goes when the last process detaches, even after SIGKILL)"),
        (UnlinkAfterOpen, "Unlink right after opening (survives SIGKILL; other processes can no longer open it by name)"),
        (RemoveInDispose, "Remove it in Dispose"),
    };

    internal override bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken) =>
        Plan(root, model, diagnostic, key, cancellationToken) is not null;

    internal override bool Edit(FixSession session, Diagnostic diagnostic)
    {
        var model = session.Model;
        var catalog = CatalogView.Create(model.Compilation, Kinds);
        if (catalog is null || Plan(session.Root, model, diagnostic, session.EquivalenceKey, session.CancellationToken) is not { } plan
            || Removal(plan.Created, plan.Target, model, catalog, session.CancellationToken) is not { } removal)
            return false;
        if (removal.Declare is { } declare && session.Taken.Add(declare.Declaration.Identifier.ValueText + "@" + declare.Template.SpanStart))
            session.Editor.InsertAfter(declare.Template, declare.Declaration);
        var statement = SyntaxFactory.ParseStatement(removal.Text + System.Environment.NewLine).WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);
        if (plan.Anchor is not null)
            return StatementInsertion.InsertAfter(session.Editor, plan.Anchor, new[] { statement });
        if (plan.Owner is not ClassDeclarationSyntax owner)
            return false;
        // Dispose gets all of a class's removals at once, in Finish.
        if (!session.State.TryGetValue(owner, out var collected))
            session.State[owner] = collected = new List<StatementSyntax>();
        ((List<StatementSyntax>)collected).Add(statement);
        return true;
    }

    internal override void Finish(FixSession session)
    {
        foreach (var entry in session.State)
        {
            if (entry.Key is ClassDeclarationSyntax owner && entry.Value is List<StatementSyntax> statements)
                DisposeMethod.Append(session.Editor, owner, statements);
        }
    }

    private sealed class FixPlan
    {
        public FixPlan(string key, KernelObjectCreation created, string target, ExpressionSyntax? anchor, TypeDeclarationSyntax? owner)
        {
            Key = key;
            Created = created;
            Target = target;
            Anchor = anchor;
            Owner = owner;
        }

        /// <summary>The action (equivalence key) the plan is for.</summary>
        public string Key { get; }

        public KernelObjectCreation Created { get; }

        /// <summary>The id or name expression the removal names.</summary>
        public string Target { get; }

        /// <summary>Insert after this call (shmat, the open); null for Dispose.</summary>
        public ExpressionSyntax? Anchor { get; }

        /// <summary>The class that gets the removal in Dispose.</summary>
        public TypeDeclarationSyntax? Owner { get; }
    }

    private static FixPlan? Plan(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken)
    {
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var catalog = CatalogView.Create(model.Compilation, Kinds);
        if (catalog is null || model.GetOperation(node, cancellationToken) is not { } operation)
            return null;
        var resolver = new IdentityResolver(model, catalog, cancellationToken);
        var created = KernelObjectCreation.TryCreate(operation, resolver);
        if (created is null)
            return null;
        bool sysV = created.Row.IdentityArgument == ApiEntry.ReturnIdentity;

        switch (key)
        {
            case MarkAfterAttach when created.Kind == ResourceKind.SysVSharedMemory:
            {
                // The shmat of the same id, after the creation in the same body or anywhere in the type.
                var bodies = new List<IOperation> { IdentityResolver.Root(operation) };
                if (model.GetEnclosingSymbol(node.SpanStart, cancellationToken)?.ContainingType is { } type)
                    bodies.AddRange(resolver.TypeBodies(type));
                foreach (var attach in bodies.SelectMany(b => b.DescendantsAndSelf()).OfType<IInvocationOperation>())
                {
                    if (catalog.Match(attach.TargetMethod) is not { Role: ApiRole.Attach } || attach.Arguments.Length == 0
                        || attach.Syntax is not InvocationExpressionSyntax attachSyntax || !StatementInsertion.CanInsertAround(attachSyntax))
                        continue;
                    var id = IdentityResolver.ArgumentFor(attach.Arguments, 0);
                    if (!created.Identities.Contains(resolver.Resolve(id)) || id.Syntax is not ExpressionSyntax idSyntax
                        || !RepeatableExpression.CanRepeatAt(idSyntax, attachSyntax.Span.End, model, cancellationToken))
                        continue;
                    if (Removal(created, idSyntax.ToString(), model, catalog, cancellationToken) is null)
                        return null;
                    return new FixPlan(key, created, idSyntax.ToString(), attachSyntax, null);
                }

                return null;
            }

            case UnlinkAfterOpen when !sysV && created.Row.Shape == ApiShape.Native:
            {
                if (created.NameExpression?.Syntax is not ExpressionSyntax name || created.Operation.Syntax is not InvocationExpressionSyntax open
                    || !StatementInsertion.CanInsertAround(open) || !RepeatableExpression.CanRepeatAt(name, open.Span.End, model, cancellationToken))
                    return null;
                if (Removal(created, name.ToString(), model, catalog, cancellationToken) is null)
                    return null;
                return new FixPlan(key, created, name.ToString(), open, null);
            }

            case RemoveInDispose:
            {
                if (node.FirstAncestorOrSelf<TypeDeclarationSyntax>() is not ClassDeclarationSyntax owner || owner.Modifiers.Any(SyntaxKind.StaticKeyword))
                    return null;
                string? target = sysV
                    ? created.IdSymbol is IFieldSymbol or IPropertySymbol ? created.IdSymbol.Name : null
                    : created.NameExpression?.Syntax is ExpressionSyntax name && NamesOnlyTypeLevelValues(name, model, cancellationToken) ? name.ToString() : null;
                if (target is null || Removal(created, target, model, catalog, cancellationToken) is null)
                    return null;
                return new FixPlan(key, created, target, null, owner);
            }

            default:
                return null;
        }
    }

    /// <summary>Only literals, constants, fields and properties: the expression means the same in Dispose.</summary>
    private static bool NamesOnlyTypeLevelValues(ExpressionSyntax expression, SemanticModel model, CancellationToken cancellationToken) =>
        expression.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>().All(id =>
            model.GetSymbolInfo(id, cancellationToken).Symbol is IFieldSymbol or IPropertySymbol or INamedTypeSymbol or INamespaceSymbol)
        && !expression.DescendantNodesAndSelf().Any(n => n is InvocationExpressionSyntax or AssignmentExpressionSyntax or PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax);

    private sealed class RemovalCall
    {
        public RemovalCall(string text, (MethodDeclarationSyntax Template, MethodDeclarationSyntax Declaration)? declare)
        {
            Text = text;
            Declare = declare;
        }

        public string Text { get; }

        /// <summary>A P/Invoke to add next to the template, when the file lacks it.</summary>
        public (MethodDeclarationSyntax Template, MethodDeclarationSyntax Declaration)? Declare { get; }
    }

    /// <summary>The statement that removes the object, and the P/Invoke it needs when missing; null when there is no mechanical way.</summary>
    private static RemovalCall? Removal(KernelObjectCreation created, string target, SemanticModel model, CatalogView catalog, CancellationToken cancellationToken)
    {
        if (created.Row.Shape == ApiShape.Managed)
            return new RemovalCall($"global::System.IO.File.Delete({target});", null);

        var (entry, parameters, arguments) = created.Kind switch
        {
            ResourceKind.SysVSharedMemory => ("shmctl", "int id, int command, System.IntPtr buffer", $"{target}, 0 /* IPC_RMID */, default"),
            ResourceKind.SysVSemaphore => ("semctl", "int id, int semaphore, int command", $"{target}, 0, 0 /* IPC_RMID */"),
            ResourceKind.SysVMessageQueue => ("msgctl", "int id, int command, System.IntPtr buffer", $"{target}, 0 /* IPC_RMID */, default"),
            ResourceKind.PosixSemaphore => ("sem_unlink", "string name", target),
            ResourceKind.PosixSharedMemory => ("shm_unlink", "string name", target),
            _ => ("mq_unlink", "string name", target),
        };
        var creator = created.Operation switch
        {
            IInvocationOperation invocation => invocation.TargetMethod,
            _ => null,
        };
        if (creator?.ContainingType is not { } nativeType)
            return null;
        var site = created.Operation.Syntax;
        if ((NativeDeclarations.Find(nativeType, entry, catalog) ?? NativeDeclarations.FindInFile(model, entry, catalog, cancellationToken)) is { } existing)
        {
            bool fits = entry.EndsWith("_unlink", System.StringComparison.Ordinal)
                ? existing.Parameters.Length == 1 && existing.Parameters[0].Type.SpecialType == SpecialType.System_String
                : existing.Parameters.Length == 3 && existing.Parameters.All(p => p.Type.SpecialType is SpecialType.System_Int32 or SpecialType.System_IntPtr);
            return fits ? new RemovalCall($"{NativeDeclarations.Qualified(existing, site, model)}({arguments});", null) : null;
        }

        var template = NativeDeclarations.DeclarationIn(creator, site.SyntaxTree, cancellationToken);
        if (template is null)
            return null;
        var prefix = SymbolEqualityComparer.Default.Equals(nativeType, model.GetEnclosingSymbol(site.SpanStart, cancellationToken)?.ContainingType)
            ? string.Empty
            : nativeType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat) + ".";
        return new RemovalCall($"{prefix}{entry}({arguments});", (template, NativeDeclarations.DeclareLike(template, entry, "int", parameters)));
    }
}
