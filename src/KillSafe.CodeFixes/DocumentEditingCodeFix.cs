using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace KillSafe.CodeFixes;

/// <summary>What one fix run over a document shares between its edits.</summary>
internal sealed class FixSession
{
    public FixSession(DocumentEditor editor, SyntaxNode root, SemanticModel model, string equivalenceKey, CancellationToken cancellationToken)
    {
        Editor = editor;
        Root = root;
        Model = model;
        EquivalenceKey = equivalenceKey;
        CancellationToken = cancellationToken;
    }

    public DocumentEditor Editor { get; }

    /// <summary>The original root: diagnostics' locations refer to it.</summary>
    public SyntaxNode Root { get; }

    public SemanticModel Model { get; }

    public string EquivalenceKey { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Names, declarations and members that earlier edits of this run added (the model does not see them yet).</summary>
    public HashSet<string> Taken { get; } = new HashSet<string>();

    /// <summary>Per-fix state between edits of one run (for example statements collected for one Dispose).</summary>
    public Dictionary<object, object> State { get; } = new Dictionary<object, object>();
}

/// <summary>
/// The shape every KillSafe fix shares: one or more actions (an equivalence key and a title each), offered
/// for a diagnostic when a plan exists, and applied to a whole document at once, in source order, so that
/// a single fix and Fix All run the same code and edits that must happen once per file (a helper class, a
/// P/Invoke declaration, a Dispose method) happen once.
/// </summary>
public abstract class DocumentEditingCodeFix : CodeFixProvider
{
    /// <summary>The actions this fix offers: equivalence key and title.</summary>
    internal abstract IReadOnlyList<(string Key, string Title)> Actions { get; }

    /// <summary>Whether the action <paramref name="key"/> can fix <paramref name="diagnostic"/>.</summary>
    internal abstract bool CanFix(SyntaxNode root, SemanticModel model, Diagnostic diagnostic, string key, CancellationToken cancellationToken);

    /// <summary>Applies the action of the session to one diagnostic; false when it could not.</summary>
    internal abstract bool Edit(FixSession session, Diagnostic diagnostic);

    /// <summary>Runs once after all edits of a document, on the editor (declarations collected by the edits).</summary>
    internal virtual void Finish(FixSession session)
    {
    }

    /// <summary>Runs once on the changed root (adding a file-level helper).</summary>
    internal virtual SyntaxNode Complete(FixSession session, SyntaxNode changedRoot) => changedRoot;

    /// <summary>Whether the document can take this fix at all (language version, ...).</summary>
    internal virtual bool IsAvailable(SyntaxNode root) => true;

    public sealed override FixAllProvider GetFixAllProvider() =>
        FixAllProvider.Create((context, document, diagnostics) => ApplyAsync(document, diagnostics, context.CodeActionEquivalenceKey ?? Actions[0].Key, context.CancellationToken));

    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var document = context.Document;
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || !IsAvailable(root))
            return;
        foreach (var diagnostic in context.Diagnostics)
        {
            foreach (var (key, title) in Actions)
            {
                if (!CanFix(root, model, diagnostic, key, context.CancellationToken))
                    continue;
                context.RegisterCodeFix(
                    CodeAction.Create(title, async ct => await ApplyAsync(document, ImmutableArray.Create(diagnostic), key, ct).ConfigureAwait(false) ?? document, key),
                    diagnostic);
            }
        }
    }

    private async Task<Document?> ApplyAsync(Document document, ImmutableArray<Diagnostic> diagnostics, string key, CancellationToken cancellationToken)
    {
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (root is null || model is null || !IsAvailable(root))
            return document;
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var session = new FixSession(editor, root, model, key, cancellationToken);
        bool changed = false;
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            if (CanFix(root, model, diagnostic, key, cancellationToken))
                changed |= Edit(session, diagnostic);
        }

        if (!changed)
            return document;
        Finish(session);
        // Code actions simplify annotated names afterwards, but add using directives only for symbol
        // annotations: the ones for parsed names (Simplifier.AddImportsAnnotation) are added here.
        var changedDocument = document.WithSyntaxRoot(Complete(session, editor.GetChangedRoot()));
        return await ImportAdder.AddImportsAsync(changedDocument, Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
