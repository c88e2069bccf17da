namespace Medins.Platform.Hosting.Messaging;

/// <summary>Endpoint metadata of a subscriber route: its topic and the app ids allowed to publish it.</summary>
public sealed record EventRouteMetadata(string Topic, IReadOnlyList<string> Publishers);
