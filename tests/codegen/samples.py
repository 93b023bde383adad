"""Usage samples compiled against the generated code: a well-typed one (must compile) and an ill-typed
one (must be rejected) per language and plan. `{bad}` lines are the one wrong call."""

from __future__ import annotations

TYPESCRIPT = {
    "demo": (
        '''const client: TrackingClient = { send: (event, properties) => { console.log(event, properties); } };
track(client, "purchase_completed", { platform: "ios", app_version: "1.0.0", user_id: "u1",
  properties: { price: 9.5, currency: "EUR", payment: { method: "card" } } });
track(client, "home_screen", { platform: "web", app_version: "1.0.0", user_id: "u1",
  properties: { screen: "home", ab: { variant: "control" }, load_ms: 120 } });
''',
        # `currency` is required
        '''track(client, "purchase_completed", { platform: "ios", app_version: "1", user_id: "u1",
  properties: { price: 9.5 } });''',
    ),
    "awkward": (
        '''const client: TrackingClient = { send: (event, properties) => { console.log(event, properties); } };
track(client, "sign up", { "user id": "u1", "1st_place": true, properties: { ab: { variant: "treatment arm" },
  "load ms": 3 } });
track(client, "3d.model/class", { func: 1, interface: "default", payload: { kind: "a", extra: 1 } });
track(client, "ПОКУПКА", { func: 2, interface: "import", "ключ": "v", def: [1, 2] });
track(client, "class/class", { None: true, "Ärger 購入": "購入" });
''',
        '''track(client, "class/class", { None: "yes" });''',
    ),
}

PYTHON = {
    "demo": (
        '''track(send, "purchase_completed", {"platform": "ios", "app_version": "1.0.0", "user_id": "u1",
      "properties": {"price": 9.5, "currency": "EUR", "payment": {"method": "card"}}})
track(send, "home_screen", {"platform": "web", "app_version": "1.0.0", "user_id": "u1",
      "properties": {"screen": "home", "ab": {"variant": "control"}, "load_ms": 120}})
''',
        # an enum value the plan does not allow
        '''track(send, "purchase_completed", {"platform": "ios", "app_version": "1", "user_id": "u1",
      "properties": {"price": 9.5, "currency": "XYZ"}})''',
    ),
    "awkward": (
        '''track(send, "sign up", {"user id": "u1", "1st_place": True,
      "properties": {"ab": {"variant": "treatment arm"}, "load ms": 3}})
track(send, "3d.model/class", {"func": 1, "interface": "default", "payload": {"kind": "a"}})
track(send, "ПОКУПКА", {"func": 2, "interface": "import", "ключ": "v", "def": [1, 2]})
track(send, "class/class", {"None": True, "Ärger 購入": "購入"})
''',
        '''track(send, "class/class", {"None": "yes"})''',
    ),
}

GO = {
    "demo": (
        '''	events := []tracking.Event{
		tracking.NewPurchaseCompletedEvent(tracking.PurchasePropsPlatformIos, "1.0.0", "u1", 9.5,
			tracking.PurchasePropsPropertiesCurrencyEUR,
			tracking.WithPurchasePropertiesPaymentMethod(tracking.PurchasePropsPropertiesPaymentMethodCard)),
		tracking.NewHomeScreenEvent(tracking.ScreenViewPropsPlatformWeb, "1.0.0", "u1",
			tracking.ScreenViewPropsPropertiesScreenHome,
			tracking.WithScreenViewPropertiesAbVariant(tracking.ScreenViewPropsPropertiesAbVariantControl),
			tracking.WithScreenViewPropertiesLoadMs(120)),
	}
''',
        # a price given as text
        '''	_ = tracking.NewPurchaseCompletedEvent(tracking.PurchasePropsPlatformIos, "1", "u1", "9.5",
		tracking.PurchasePropsPropertiesCurrencyEUR)''',
    ),
    "awkward": (
        '''	events := []tracking.Event{
		tracking.NewSignUpEvent("u1", true,
			tracking.WithScreenViewPropertiesAbVariant(tracking.ScreenViewPropsPropertiesAbVariantTreatmentArm),
			tracking.WithScreenViewPropertiesLoadMs(3)),
		tracking.NewX3dModelClassEvent(1, tracking.X3dModelPropsInterfaceDefault,
			tracking.WithX3dModelPayloadKind(tracking.X3dModelPropsPayloadKindA)),
		tracking.NewU41fU41eU41aU423U41fU41aU410Event(2, tracking.X3dModelPropsInterfaceImport,
			tracking.WithX3dModelU43aU43bU44eU447("v"), tracking.WithX3dModelDef([]any{1, 2})),
		tracking.NewClassClassEvent(true,
			tracking.WithClassArgerU8cfcU5165(tracking.ClassPropsArgerU8cfcU5165U8cfcU5165)),
	}
''',
        '''	_ = tracking.NewClassClassEvent("yes")''',
    ),
}
