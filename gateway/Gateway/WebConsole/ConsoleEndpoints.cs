using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace Medins.Gateway.WebConsole;

/// <summary>
/// The bureau's console: static pages under <c>/console/</c>, copied beside the gateway's assembly (folder
/// <c>console</c>). They hold no data: each page calls the gateway's own JSON API with the credential the user signed
/// in with, so the API's authentication and tenant scope decide what is shown. The files are public; every data call
/// is authenticated as any other.
/// </summary>
public static class ConsoleEndpoints
{
    public const string Prefix = "/console";

    /// <summary>Scripts and styles from this origin only, nothing inline, never framed.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static WebApplication MapConsole(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "console");
        IFileProvider files = Directory.Exists(root) ? new PhysicalFileProvider(root) : new NullFileProvider();

        app.MapMethods(Prefix + "/{**file}", [HttpMethods.Get, HttpMethods.Head],
            (HttpContext context, string? file) => ServeAsync(context, files, file));
        return app;
    }

    private static async Task ServeAsync(HttpContext context, IFileProvider files, string? file)
    {
        var response = context.Response;
        SetSecurityHeaders(response);
        // The route matches /console and /console/ alike; relative links in the pages need the slash.
        if (context.Request.Path.Value == Prefix)
        {
            response.Redirect(Prefix + "/");
            return;
        }
        var name = string.IsNullOrEmpty(file) ? "index.html" : file;
        // Only plain names of the folder's own files: no traversal, no hidden files.
        var info = name.Split('/').Any(s => s.Length == 0 || s.StartsWith('.')) ? null : files.GetFileInfo(name);
        if (info is not { Exists: true, IsDirectory: false } || !ContentTypes.TryGetContentType(name, out var contentType))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = "text/plain; charset=utf-8";
            await response.WriteAsync("页面不存在。");
            return;
        }

        response.ContentType = contentType.StartsWith("text/") || contentType.Contains("javascript")
            ? contentType + "; charset=utf-8"
            : contentType;
        response.ContentLength = info.Length;
        if (HttpMethods.IsHead(context.Request.Method)) return;
        await response.SendFileAsync(info);
    }

    private static void SetSecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
    }
}
